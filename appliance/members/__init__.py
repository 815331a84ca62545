"""Members (会员): look-up and sign-up, levels, points and stored value (issue 7).

The order side (a member on an order, points and balance as tenders, earning and reversing
points) lives in the order engine; this package holds the member's own commands.
"""

from .model import Member, normalize_phone
from .service import MemberService, TopUpResult

__all__ = ["Member", "MemberService", "TopUpResult", "normalize_phone"]
