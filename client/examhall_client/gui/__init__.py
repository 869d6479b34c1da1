"""The client's Qt GUI: the environment check screen and the kiosk web view.

Importing this package needs PySide6 (with QtWebEngine); the rest of the client
(``check`` in a terminal) does not.
"""
