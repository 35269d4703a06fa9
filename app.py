"""Start the chat in the browser: `python app.py` (settings from QA_* variables)."""

from qa import Settings
from qa.web import serve

if __name__ == "__main__":
    serve(Settings.from_env(), inbrowser=True)
