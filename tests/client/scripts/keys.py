"""Run in the client's interpreter: type into a kiosk view (blocked shortcuts and plain
letters, as Qt delivers them) and print the keys the page saw, as JSON."""

import json
import sys

from PySide6.QtCore import QEventLoop, Qt, QTimer, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

app = QApplication([])

from examhall_client.gui import kiosk  # noqa: E402 (after the QApplication)

base = sys.argv[1]
profile = kiosk.make_profile(bytes(range(32)), QUrl(base))
view = kiosk.KioskView(profile, QUrl(base))
view.block_shortcuts()
view.resize(800, 600)
view.show()


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


loaded = QEventLoop()
view.loadFinished.connect(lambda ok: loaded.quit())
view.setUrl(QUrl(f"{base}/exam/demo/"))
QTimer.singleShot(20000, loaded.quit)
loaded.exec()
view.setFocus()
wait(300)
C, A, S, N = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier,
              Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.NoModifier)
K = Qt.Key
for key, modifiers in [(K.Key_A, N), (K.Key_P, C), (K.Key_S, C), (K.Key_U, C), (K.Key_R, C),
                       (K.Key_F5, N), (K.Key_F12, N), (K.Key_I, C | S), (K.Key_J, C | S),
                       (K.Key_Left, A), (K.Key_Right, A), (K.Key_W, C), (K.Key_B, N)]:
    QTest.keyClick(view.focusProxy() or view, key, modifiers)
    wait(30)
wait(500)
result: list[str] = []
done = QEventLoop()


def take(value: str) -> None:
    result.append(value)
    done.quit()


view.page().runJavaScript("JSON.stringify(window.keys || null)", 0, take)
QTimer.singleShot(5000, done.quit)
done.exec()
sys.stdout.write(json.dumps({"keys": json.loads(result[0]) if result else None,
                             "swallowed": view.blocker.swallowed}) + "\n")
view.close()
del view
