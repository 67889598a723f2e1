"""Live preview: rebuild one variant on every save and show its pages in a browser.

`Preview` binds the server, then `Preview.run` watches the variant's inputs, lays it out in a
warm worker on each burst of saves, and pushes each new state to the page, until interrupted.
"""

from __future__ import annotations

from reportgen.preview.session import Preview, Selection, State

__all__ = ["Preview", "Selection", "State"]
