"""``relpool serve``: a model's predictions and explanations over HTTP (FastAPI, run by uvicorn)."""
