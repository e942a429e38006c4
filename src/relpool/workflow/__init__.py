"""The workflows that chain relpool's layers: each inspects the database once and hands the inspection,
the task and the results down (training, baselines, report), so no layer reads the data again."""
