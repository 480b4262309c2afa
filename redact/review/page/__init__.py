"""`redact review`: a local page where a clerk checks, fixes and releases a clip.

``serve.py`` starts it (127.0.0.1 only, one-time token), ``security.py`` guards it, ``app.py``
routes its API, ``session.py`` holds one clip under review, ``frames.py`` decodes any frame,
``follow.py`` follows a drawn box, ``audio.py`` gives the waveform and sound, ``render_job.py``
renders from the page; ``static/`` is the page itself.
"""
