"""A PDF file written object by object, and documents copied into it one at a time.

qpdf keeps every object of a document in memory until it saves it: appending the
13,974 pages of a register of 60,000 risks to one pikepdf document took about 390 MiB
(25 to 30 KB a page: each page, its link annotations, its resources). Here each input
document is opened, its pages' objects are written to the output with new numbers,
and it is closed before the next one: memory stays at one chunk's objects, the output's
cross-reference (a few bytes an object) and the object stream being filled.

The output is PDF 1.7 with object streams and a cross-reference stream, as qpdf wrote
it before: non-stream objects are packed 100 to a compressed object stream; streams are
copied with their data as they are stored (still compressed).
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Callable
from typing import BinaryIO

import pikepdf

# A header, and a comment of bytes above 127: PDF/A wants the file marked binary.
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
OBJECTS_PER_STREAM = 100

# qpdf's unparse writes every string either as (...) with "(", ")" and "\" escaped, or
# as <hex>: a reference "n g R" is then any pair of integers followed by R outside them.
_TOKENS = re.compile(rb"\((?:[^\\)]|\\.)*\)|<[0-9A-Fa-f\s]*>|(?<![\w.#/+-])(\d+) (\d+) R\b", re.S)


class Writer:
    """The output file: numbers are reserved first (a page can be linked to before it is
    written), objects are written in any order, and `close` writes the cross-reference."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.handle.write(HEADER)
        # Entry n of the cross-reference: kind (1 at an offset, 2 in an object stream),
        # offset or object stream, index in the object stream.
        self.kinds = bytearray(1)
        self.fields = array("Q", [0])
        self.indexes = array("I", [0])
        self.packed: list[tuple[int, bytes]] = []

    @property
    def position(self) -> int:
        return self.handle.tell()

    def reserve(self) -> int:
        self.kinds.append(0)
        self.fields.append(0)
        self.indexes.append(0)
        return len(self.kinds) - 1

    def write(self, number: int, body: bytes) -> None:
        """A non-stream object, packed into the next object stream."""
        self.packed.append((number, body))
        if len(self.packed) >= OBJECTS_PER_STREAM:
            self._pack()

    def write_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """A stream: `dictionary` without its /Length, `data` as stored (its filters
        named in the dictionary)."""
        self.kinds[number], self.fields[number] = 1, self.position
        self.handle.write(b"%d 0 obj\n" % number)
        self.handle.write(_with_length(dictionary, len(data)))
        self.handle.write(b"\nstream\n")
        self.handle.write(data)
        self.handle.write(b"\nendstream\nendobj\n")

    def _pack(self) -> None:
        if not self.packed:
            return
        number = self.reserve()
        offsets, bodies, at = [], [], 0
        for index, (packed, body) in enumerate(self.packed):
            self.kinds[packed], self.fields[packed], self.indexes[packed] = 2, number, index
            offsets.append(b"%d %d" % (packed, at))
            bodies.append(body)
            at += len(body) + 1
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies) + b"\n")
        self.packed.clear()
        self.write_stream(
            number,
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode >>" % (len(offsets), len(head)),
            data,
        )

    def close(self, *, root: int, info: int | None, ids: bytes) -> None:
        """The last object stream, the cross-reference stream and the trailer in it."""
        self._pack()
        missing = [n for n in range(1, len(self.kinds)) if not self.kinds[n]]
        if missing:
            raise RuntimeError(f"objects reserved but never written: {missing[:10]}")
        number = self.reserve()
        self.kinds[number], self.fields[number] = 1, self.position
        # Wide enough for the last offset (4 bytes up to 4 GiB) and the largest index.
        width = max(4, (max(self.fields).bit_length() + 7) // 8)
        rows = bytearray(b"\x00" + bytes(width) + (65535).to_bytes(2, "big"))
        for n in range(1, len(self.kinds)):
            rows.append(self.kinds[n])
            rows += self.fields[n].to_bytes(width, "big") + self.indexes[n].to_bytes(2, "big")
        trailer = b"<< /Type /XRef /Size %d /W [ 1 %d 2 ] /Root %d 0 R " % (
            len(self.kinds),
            width,
            root,
        )
        if info is not None:
            trailer += b"/Info %d 0 R " % info
        trailer += b"/ID " + ids + b" /Filter /FlateDecode >>"
        start = self.position
        self.write_stream(number, trailer, zlib.compress(bytes(rows)))
        self.handle.write(b"startxref\n%d\n%%%%EOF\n" % start)


def _with_length(dictionary: bytes, length: int) -> bytes:
    body = dictionary.rstrip()
    if not body.endswith(b">>"):
        raise ValueError("a stream's dictionary must end with >>")
    return body[:-2].rstrip() + b" /Length %d >>" % length


class Source:
    """One input document being copied: each of its objects that is reached gets a
    number in the output and is written once, with its references renumbered."""

    def __init__(self, writer: Writer, document: pikepdf.Pdf) -> None:
        self.writer = writer
        self.document = document
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: list[tuple[int, int]] = []

    def alias(self, number: int) -> pikepdf.Object:
        """A stand-in in this document, written everywhere it is referenced as a
        reference to the output's object `number` (written from elsewhere)."""
        stand_in = self.document.make_indirect(pikepdf.Dictionary())
        self.numbers[stand_in.objgen] = number
        return stand_in

    def place(self, obj: pikepdf.Object, number: int) -> None:
        """Write `obj` (indirect) as the output's reserved object `number`."""
        self.numbers[obj.objgen] = number
        self.queue.append(obj.objgen)

    def number(self, obj: pikepdf.Object) -> int:
        """The output number of `obj` (indirect), written when the queue is drained."""
        return self._number(*obj.objgen)

    def _number(self, num: int, gen: int) -> int:
        found = self.numbers.get((num, gen))
        if found is None:
            found = self.numbers[(num, gen)] = self.writer.reserve()
            self.queue.append((num, gen))
        return found

    def body(self, obj: pikepdf.Object) -> bytes:
        """`obj` as PDF syntax, its references renumbered into the output."""
        return _renumber(obj.unparse(resolved=True), self._number)

    def drain(self) -> None:
        """Write every queued object and what it references, depth first."""
        while self.queue:
            objgen = self.queue.pop()
            number = self.numbers[objgen]
            obj = self.document.get_object(objgen)
            if isinstance(obj, pikepdf.Stream):
                data = obj.read_raw_bytes()
                dictionary = pikepdf.Dictionary(
                    {k: v for k, v in obj.stream_dict.items() if k != "/Length"}
                )
                self.writer.write_stream(number, self.body(dictionary), data)
            else:
                self.writer.write(number, self.body(obj))


def _renumber(raw: bytes, number: Callable[[int, int], int]) -> bytes:
    def swap(found: re.Match[bytes]) -> bytes:
        if found.group(1) is None:
            return found.group(0)  # a string: left as it is
        return b"%d 0 R" % number(int(found.group(1)), int(found.group(2)))

    return _TOKENS.sub(swap, raw)
