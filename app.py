"""Start the chat in the browser: `python app.py` (settings from QA_* variables; QA_WATCH=1, as `make run` sets,
re-indexes the corpus by itself as its files change)."""

from qa import Settings
from qa.web import serve

if __name__ == "__main__":
    serve(Settings.from_env(), inbrowser=True)
