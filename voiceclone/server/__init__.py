"""An OpenAI-compatible HTTP server for voiceclone (the ``[server]`` extra): ``voiceclone serve``.

- ``app``: the FastAPI app (``create_app``): POST /v1/audio/speech, /v1/voices, GET /health
- ``pool``: the bounded worker pool that synthesis runs on
- ``voices``: saved voices, one profile per file in the ``--voices`` folder
- ``encoders``: wav, pcm, flac, mp3 and opus encoded chunk by chunk as speech is made
- ``command``: the ``serve`` command (imports nothing heavy until it runs)
"""
