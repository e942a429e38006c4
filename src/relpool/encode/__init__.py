"""Column encoders: every table's columns as a pytorch-frame TensorFrame, statistics from visible rows."""
