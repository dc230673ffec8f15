"""Public tools: the wage calculators page."""
