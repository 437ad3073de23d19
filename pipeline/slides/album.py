"""The slides found so far: one PNG per distinct slide, one Showing per time a slide is on screen.

A showing whose last picture matches an earlier slide (the same, or one with fewer or more bullets) is a
return to it: it shares that slide's image and points at its first showing. When a later showing is more
complete than the saved image, the image is replaced, so builds always end up fully built.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..types import Showing
from .compare import Change, changed_blocks, compare, ink_share
from .options import SlideOptions
from .room import straighten_image


_ROOM_INK_SHARE = 0.1   # share of the inked blocks a return to a slide may change on a room camera
_FAR = 0.5   # share of blocks changed beyond which two pictures cannot be one slide, built or not
# ... on a room camera: a return changes at most _ROOM_INK_SHARE of the inked blocks, so at most that share of
# all blocks one way or the other (comparing the pair the other way round moves a few blocks, not twice as many)
_ROOM_FAR = 2 * _ROOM_INK_SHARE


@dataclass
class _Slide:
    thumb: np.ndarray
    image: str
    first_showing: int


class Album:
    """Collects showings in time order and writes slide images on a worker thread."""

    def __init__(self, out_dir: Path, mask: np.ndarray, opts: SlideOptions) -> None:
        self.out_dir, self.mask, self.opts = out_dir, mask, opts
        self.showings: list[Showing] = []
        self.slides: list[_Slide] = []
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slide-png")
        self.writes: list[Future] = []

    def close(self, start: float, end: float, thumb: np.ndarray, frame: av.VideoFrame,
              image: np.ndarray | None = None) -> None:
        """Record the showing start..end whose last picture is `frame` (thumbnail `thumb`).

        `image`, when given, is the slide's picture composed from several frames of the showing (RGB, the
        frame's size): saved instead of `frame`."""
        frame = image if image is not None else frame
        if self.showings and self.slides:
            prev = self.showings[-1]
            prev_slide = next(s for s in self.slides if s.image == prev.image)
            if compare(prev_slide.thumb, thumb, self.mask, self.opts).kind is not Change.NEW:
                # a spurious split: the same slide goes on
                prev.end = end
                self._keep_fuller(prev_slide, thumb, frame)
                return
        match = self._match(thumb)
        if match is None:
            image = f"slide-{len(self.slides) + 1:03d}.png"
            self._save(frame, image)
            self.slides.append(_Slide(thumb, image, len(self.showings)))
            self.showings.append(Showing(start, end, image))
        else:
            self._keep_fuller(match, thumb, frame)
            self.showings.append(Showing(start, end, match.image, repeat_of=match.first_showing))

    def _match(self, thumb: np.ndarray) -> _Slide | None:
        best, best_share = None, 1.0
        for s in self.slides:
            # most earlier slides differ almost everywhere: skip them before the full comparison
            changed = (changed_blocks(s.thumb, thumb, self.opts) & ~self.mask).mean()
            if changed > (_ROOM_FAR if self.opts.screen is not None else _FAR):
                continue
            d = compare(s.thumb, thumb, self.mask, self.opts)
            if d.kind is Change.NEW:
                d2 = compare(thumb, s.thumb, self.mask, self.opts)
                if d2.kind is Change.NEW:
                    continue
                d = d2
            if self.opts.screen is not None and d.changed > _ROOM_INK_SHARE * ink_share(s.thumb, thumb, self.opts):
                # a room camera: two section pages of one template differ in a few words, a few per cent of
                # the blocks but a good share of the ink; a return to a slide changes next to none of it
                continue
            if d.changed < best_share:
                best, best_share = s, d.changed
        return best

    def _keep_fuller(self, slide: _Slide, thumb: np.ndarray, frame) -> None:
        """A later showing with more bullets than the saved image replaces it."""
        if compare(slide.thumb, thumb, self.mask, self.opts).kind is Change.ADDED:
            slide.thumb = thumb
            self._save(frame, slide.image)

    def _save(self, frame, name: str) -> None:
        # PNG encoding releases the GIL: one writer thread overlaps it with the decoding that follows
        self.writes.append(self.writer.submit(_write_png, frame, self.out_dir / name, self.opts.image_compress_level,
                                              self.opts.screen))

    def wait(self) -> None:
        """Block until every slide image is written; re-raise a failed write."""
        self.writer.shutdown(wait=True)
        for w in self.writes:
            w.result()


def _write_png(frame, path: Path, level: int, screen=None) -> None:
    if isinstance(frame, np.ndarray):
        Image.fromarray(frame).save(path, compress_level=level)     # composed: already the final picture
        return
    image = frame.to_image()
    if screen is not None:
        image = straighten_image(image, screen)     # a room camera's screen, as the slide itself looks
    image.save(path, compress_level=level)
