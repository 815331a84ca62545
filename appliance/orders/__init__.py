"""Orders: the lifecycle of ARCHITECTURE section 4 on top of the ledger."""

from .engine import Actor, OrderEngine, PaymentResult, actor_for
from .pricing import Adjustment, PricingLine, PricingPipeline, PricingRule

__all__ = ["Actor", "OrderEngine", "PaymentResult", "actor_for", "Adjustment", "PricingLine",
           "PricingPipeline", "PricingRule"]
