"""Hardware seams: one small interface per kind (printer, drawer, scanner, indicators, door
counter, customer display), each with real backends and a simulated one chosen by config
(ARCHITECTURE section 5). The simulation is never a silent fallback."""
