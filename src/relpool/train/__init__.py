"""Training and evaluation: metrics today; fit / evaluate / predict loops to come."""
