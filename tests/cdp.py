"""A headless Chromium driven over the DevTools protocol on a pipe: no websocket library, no
chromedriver, only the standard library. Tests click, type, reload and download with it."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_PIPE_IN, _PIPE_OUT = 3, 4  # the fds Chromium reads commands from and writes replies to


class Browser:
    """One headless Chromium with one page (1200x900); ``profile`` keeps its local storage."""

    def __init__(self, profile: Path, downloads: Path, timeout: float = 60.0) -> None:
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        # copies above 10, so that moving them to 3 and 4 in the child cannot clobber each other
        child_in = fcntl.fcntl(commands_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(replies_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(commands_r)
        os.close(replies_w)

        def pipes() -> None:  # runs in the child: dup2 leaves 3 and 4 open across exec
            os.dup2(child_in, _PIPE_IN)
            os.dup2(child_out, _PIPE_OUT)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pipes,  # a test helper: no threads of its own to upset
            close_fds=False,
        )
        os.close(child_in)
        os.close(child_out)
        self.timeout = timeout
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.call(
            "Browser.setDownloadBehavior",
            behavior="allow",
            downloadPath=str(downloads),
            eventsEnabled=True,
        )
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page.enable", "Runtime.enable"):
            self.call(domain, session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=1200,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )

    def close(self) -> None:
        for fd in (self._commands, self._replies):
            os.close(fd)
        self.process.kill()
        self.process.wait(timeout=30)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, session: bool = False, **params: object) -> dict:
        """Send one command and wait for its reply; events seen meanwhile go to ``events``."""
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str) -> dict:
        """The next event ``method`` (one already seen counts), for the page's session."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for k, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(k)
            self.events.append(self._read())
        raise TimeoutError(f"no {method} event")

    def open(self, url: str) -> None:
        """Load ``url`` and wait until its scripts ran (the load event)."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def reload(self) -> None:
        self.events.clear()
        self.call("Page.reload", session=True)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> object:
        """The value of a JavaScript expression in the page."""
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element matching ``selector``."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                session=True,
                type=kind,
                x=x,
                y=y,
                button="left",
                clickCount=1,
            )

    def press(self, key: str) -> None:
        """Press and release ``key``: "ArrowRight", "ArrowDown", " " (space), ..."""
        codes = {"ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39, "ArrowDown": 40, " ": 32}
        code = "Space" if key == " " else key
        extra = {"text": " "} if key == " " else {}
        for kind in ("keyDown", "keyUp"):
            params = extra if kind == "keyDown" else {}
            self.call(
                "Input.dispatchKeyEvent",
                session=True,
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=codes[key],
                **params,
            )

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path
