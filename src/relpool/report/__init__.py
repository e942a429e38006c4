"""Human-facing output: terminal tables and plots."""
