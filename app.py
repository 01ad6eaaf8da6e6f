"""NST Studio on Hugging Face Spaces (and `python app.py` on http://127.0.0.1:7860): the web app is the
`studio` package; this file only starts it."""

from studio import main

if __name__ == "__main__":
    main()
