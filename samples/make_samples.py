"""Generate the sample documents in samples/ (deterministically, no third-party packages).

Run from the repository root::

    .venv/bin/python samples/make_samples.py

Outputs (re-running produces byte-identical files):

* ``invoice.pdf``                 one-page invoice with a real Helvetica text layer
* ``report.pdf``                  three-page quarterly report, page numbers in the footer
* ``bad/encrypted.pdf``           the invoice, encrypted (RC4 128-bit, standard security
                                  handler, user password ``insight-user``)
* ``bad/truncated.pdf``           the first half of invoice.pdf's bytes
* ``bad/not_a_png.png``           a plain text file with a .png name
* ``bad/empty.pdf``               0 bytes
* ``bad/scanned_no_text.pdf``     one page that only paints an image (no text layer)
* ``invoice-scan.png``            a photographed-style invoice (no text layer: read by OCR),
                                  drawn by ``bench.inputs.text_images`` with Pillow and
                                  DejaVu fonts (the dev dependencies; the exceptions)
* ``astronaut.jpg``               NASA's portrait of Eileen Collins (public domain, as
                                  scikit-image ships it) above a caption drawn in DejaVu Sans:
                                  a face and text for the image workflow
* ``voicemail.mp3``               :data:`VOICEMAIL` spoken by the local Polly engine (eSpeak NG,
                                  voice Joanna): a name, a place and a day for the media workflow

The PDFs are written by the small generator below (text objects using the standard-14
fonts Helvetica and Helvetica-Bold with WinAnsiEncoding, a classic xref table), so no
PDF library is needed to create them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent
PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, in points
USER_PASSWORD = "insight-user"  # noqa: S105 - a test fixture, published on purpose
OWNER_PASSWORD = "insight-owner"  # noqa: S105

# Advance widths (1/1000 em) of the characters 32..126 in the standard-14 fonts (Adobe AFM).
_HELVETICA = [
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    191,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    333,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
]
_HELVETICA_BOLD = [
    278,
    333,
    474,
    556,
    556,
    889,
    722,
    238,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    333,
    333,
    584,
    584,
    584,
    611,
    975,
    722,
    722,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    556,
    722,
    611,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    333,
    278,
    333,
    584,
    556,
    333,
    556,
    611,
    556,
    611,
    556,
    333,
    611,
    611,
    278,
    278,
    556,
    278,
    889,
    611,
    611,
    611,
    611,
    389,
    556,
    333,
    611,
    556,
    778,
    556,
    556,
    500,
    389,
    280,
    389,
    584,
]
_EXTRA_WIDTHS = {"é": 556, "€": 556, "–": 556}  # the same in both fonts
FONTS = {"F1": ("Helvetica", _HELVETICA), "F2": ("Helvetica-Bold", _HELVETICA_BOLD)}


def text_width(text: str, font: str, size: float) -> float:
    table = FONTS[font][1]
    units = 0
    for char in text:
        code = ord(char)
        units += table[code - 32] if 32 <= code <= 126 else _EXTRA_WIDTHS[char]
    return units * size / 1000


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def pdf_literal(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding (cp1252), escaped."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte <= 126:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


# --------------------------------------------------------------------------- page content


@dataclass
class Page:
    ops: list[bytes] = field(default_factory=list)
    images: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)  # name -> (width, height, grey pixels)

    def text(self, x: float, y: float, text: str, font: str = "F1", size: float = 10, align: str = "left") -> None:
        """One text object positioned with Tm (right/centre alignment from the font metrics)."""
        if align == "right":
            x -= text_width(text, font, size)
        elif align == "center":
            x -= text_width(text, font, size) / 2
        self.ops.append(
            b"BT /%s %s Tf 1 0 0 1 %s %s Tm %s Tj ET"
            % (font.encode(), _num(size).encode(), _num(x).encode(), _num(y).encode(), pdf_literal(text))
        )

    def text_rows(
        self, x: float, y: float, rows: list[str], font: str = "F1", size: float = 10, leading: float = 13
    ) -> None:
        """Several left-aligned rows in one text object, moved with Td."""
        parts = [b"BT /%s %s Tf %s %s Td" % (font.encode(), _num(size).encode(), _num(x).encode(), _num(y).encode())]
        for index, row in enumerate(rows):
            if index:
                parts.append(b"0 -%s Td" % _num(leading).encode())
            parts.append(pdf_literal(row) + b" Tj")
        parts.append(b"ET")
        self.ops.append(b" ".join(parts))

    def spaced(
        self, x: float, y: float, text: str, font: str, size: float, tracking: float, align: str = "left"
    ) -> None:
        """Letter-spaced text (Tc) written as a TJ array with a kerning pair."""
        width = text_width(text, font, size) + tracking * len(text)
        if align == "right":
            x -= width
        head, tail = text[:1], text[1:]
        self.ops.append(
            b"BT /%s %s Tf %s Tc %s %s Td [%s 15 %s] TJ 0 Tc ET"
            % (
                font.encode(),
                _num(size).encode(),
                _num(tracking).encode(),
                _num(x).encode(),
                _num(y).encode(),
                pdf_literal(head),
                pdf_literal(tail),
            )
        )

    def paragraph(
        self, x: float, y: float, width: float, text: str, font: str = "F1", size: float = 10.5, leading: float = 14.5
    ) -> float:
        """Word-wrapped paragraph using TL, T* and '; returns the baseline below the last row."""
        rows: list[str] = []
        row = ""
        for word in text.split():
            candidate = f"{row} {word}" if row else word
            if row and text_width(candidate, font, size) > width:
                rows.append(row)
                row = word
            else:
                row = candidate
        rows.append(row)
        parts = [
            b"BT /%s %s Tf %s TL %s %s Td %s Tj"
            % (
                font.encode(),
                _num(size).encode(),
                _num(leading).encode(),
                _num(x).encode(),
                _num(y).encode(),
                pdf_literal(rows[0]),
            )
        ]
        parts += [pdf_literal(r) + b" '" for r in rows[1:]]
        parts.append(b"ET")
        self.ops.append(b" ".join(parts))
        return y - leading * len(rows)

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.75, gray: float = 0.55) -> None:
        self.ops.append(
            b"q %s G %s w %s %s m %s %s l S Q" % tuple(_num(v).encode() for v in (gray, width, x1, y1, x2, y2))
        )

    def box(self, x: float, y: float, w: float, h: float, gray: float = 0.92) -> None:
        self.ops.append(b"q %s g %s %s %s %s re f Q" % tuple(_num(v).encode() for v in (gray, x, y, w, h)))

    def content(self) -> bytes:
        return b"\n".join(self.ops) + b"\n"


# --------------------------------------------------------------------------- PDF writer

_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()  # MD5 is what the PDF format specifies


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PASSWORD_PAD)[:32]


@dataclass
class _Security:
    """PDF standard security handler, revision 3 (RC4, 128-bit key), ISO 32000-1 7.6.3."""

    user_password: str
    owner_password: str
    file_id: bytes
    permissions: int = -3904  # print, copy, etc. allowed; the reserved bits set as required

    def __post_init__(self) -> None:
        digest = _padded(self.owner_password)
        digest = _md5(digest)
        for _ in range(50):
            digest = _md5(digest)
        owner_key = digest[:16]
        o_value = _rc4(owner_key, _padded(self.user_password))
        for i in range(1, 20):
            o_value = _rc4(bytes(b ^ i for b in owner_key), o_value)
        self.o_value = o_value
        digest = _md5(
            _padded(self.user_password) + o_value + self.permissions.to_bytes(4, "little", signed=True) + self.file_id
        )
        for _ in range(50):
            digest = _md5(digest[:16])
        self.key = digest[:16]
        u_value = _rc4(self.key, _md5(_PASSWORD_PAD + self.file_id))
        for i in range(1, 20):
            u_value = _rc4(bytes(b ^ i for b in self.key), u_value)
        self.u_value = u_value + bytes(16)

    def encrypt(self, obj_num: int, data: bytes) -> bytes:
        key = _md5(self.key + obj_num.to_bytes(3, "little") + b"\x00\x00")
        return _rc4(key, data)

    def dictionary(self) -> bytes:
        return b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P %d /O <%s> /U <%s> >>" % (
            self.permissions,
            self.o_value.hex().upper().encode(),
            self.u_value.hex().upper().encode(),
        )


def build_pdf(pages: list[Page], title: str, encrypt: bool = False) -> bytes:
    """Serialise pages into a PDF 1.4 file with a classic cross-reference table."""
    file_id = _md5(f"insight-sample:{title}".encode())
    security = _Security(USER_PASSWORD, OWNER_PASSWORD, file_id) if encrypt else None
    objects: dict[int, bytes] = {}

    def reserve() -> int:
        objects[len(objects) + 1] = b""
        return len(objects)

    def stream(num: int, header: bytes, data: bytes) -> bytes:
        if security is not None:
            data = security.encrypt(num, data)
        return b"<< %s/Length %d >>\nstream\n%s\nendstream" % (header, len(data), data)

    def string(num: int, text: str) -> bytes:
        if security is None:
            return pdf_literal(text)
        return b"<%s>" % security.encrypt(num, text.encode("cp1252")).hex().upper().encode()

    catalog, pages_num, helvetica, helvetica_bold = (reserve() for _ in range(4))
    objects[catalog] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_num
    objects[helvetica] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects[helvetica_bold] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    kids = []
    for page in pages:
        page_num, content_num = reserve(), reserve()
        kids.append(b"%d 0 R" % page_num)
        resources = b"/Font << /F1 %d 0 R /F2 %d 0 R >>" % (helvetica, helvetica_bold)
        if page.images:
            entries = []
            for name, (width, height, pixels) in sorted(page.images.items()):
                image_num = reserve()
                objects[image_num] = stream(
                    image_num,
                    b"/Type /XObject /Subtype /Image /Width %d /Height %d "
                    b"/ColorSpace /DeviceGray /BitsPerComponent 8 " % (width, height),
                    pixels,
                )
                entries.append(b"/%s %d 0 R" % (name.encode(), image_num))
            resources += b" /XObject << %s >>" % b" ".join(entries)
        objects[page_num] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << %s >> "
            b"/Contents %d 0 R >>" % (pages_num, PAGE_WIDTH, PAGE_HEIGHT, resources, content_num)
        )
        objects[content_num] = stream(content_num, b"", page.content())
    objects[pages_num] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    info = reserve()
    objects[info] = b"<< /Title %s /Author %s /Producer %s /CreationDate %s >>" % (
        string(info, title),
        string(info, "Insight sample generator"),
        string(info, "samples/make_samples.py"),
        string(info, "D:20260314090000Z"),
    )
    trailer_extra = b""
    if security is not None:
        encrypt_num = reserve()
        objects[encrypt_num] = security.dictionary()
        trailer_extra = b" /Encrypt %d 0 R" % encrypt_num

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    xref_at = len(out)
    size = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num]
    file_id_hex = file_id.hex().upper().encode()
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>]%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        catalog,
        info,
        file_id_hex,
        file_id_hex,
        trailer_extra,
        xref_at,
    )
    return bytes(out)


# --------------------------------------------------------------------------- documents

INVOICE_ITEMS = [
    # description, quantity, unit price
    ("Chai tea, 10 boxes x 20 bags", 10, 18.00),
    ("Chef Anton's Cajun Seasoning, 48 jars", 12, 22.00),
    ("Grandma's Boysenberry Spread, 12 jars", 15, 25.00),
    ("Northwoods Cranberry Sauce, 12 jars", 8, 40.00),
    ("Aniseed Syrup, 12 bottles", 2, 10.25),
]
SHIPPING = 75.00


def _money(value: float) -> str:
    return f"{value:,.2f}"


def invoice_page() -> Page:
    page = Page()
    left, right = 50, 562
    # Letterhead
    page.text(left, 736, "Northwind Traders Ltd", "F2", 20)
    page.text_rows(
        left,
        718,
        [
            "1200 Harbor Way, Suite 400",
            "Seattle, WA 98101, United States",
            "E-mail: billing@northwind.example",
            "Phone: +1 206-555-0143",
        ],
        size=9.5,
        leading=12.5,
    )
    page.spaced(right, 736, "INVOICE", "F2", 24, tracking=2, align="right")
    for baseline, text in (
        (712, "Invoice number: INV-2026-0042"),
        (699, "Invoice date: March 14, 2026"),
        (686, "Due date: 2026-04-13"),
    ):
        page.text(right, baseline, text, size=10, align="right")
    page.rule(left, 656, right, 656)

    # Bill to
    page.text(left, 632, "Bill to", "F2", 11)
    page.text_rows(
        left,
        616,
        ["Maria Anders", "Alfreds Futterkiste", "Obere Str. 57", "12209 Berlin, Germany"],
        size=10,
        leading=13,
    )
    page.text(360, 632, "Payment terms", "F2", 11)
    page.text_rows(360, 616, ["Net 30 days", "Purchase order: PO-88417"], size=10, leading=13)

    # Line items
    col_qty, col_unit, col_amount = 390, 475, right - 8
    top = 540
    page.box(left, top - 6, right - left, 20)
    page.text(left + 8, top, "Description", "F2", 10)
    page.text(col_qty, top, "Qty", "F2", 10, align="right")
    page.text(col_unit, top, "Unit price", "F2", 10, align="right")
    page.text(col_amount, top, "Amount", "F2", 10, align="right")
    y = top - 24.0
    subtotal = 0.0
    for description, quantity, unit in INVOICE_ITEMS:
        amount = quantity * unit
        subtotal += amount
        page.text(left + 8, y, description)
        page.text(col_qty, y, str(quantity), align="right")
        page.text(col_unit, y, _money(unit), align="right")
        page.text(col_amount, y, _money(amount), align="right")
        page.rule(left, y - 7, right, y - 7, width=0.4, gray=0.8)
        y -= 20
    total = subtotal + SHIPPING
    assert f"${_money(total)}" == "$1,234.50", total

    # Totals
    y -= 8
    for label, value in (("Subtotal", _money(subtotal)), ("Shipping and handling", _money(SHIPPING))):
        page.text(col_unit, y, label, align="right")
        page.text(col_amount, y, value, align="right")
        y -= 16
    page.rule(340, y + 8, right, y + 8)
    y -= 8
    page.text(col_unit, y, "Total due (USD)", "F2", 12, align="right")
    page.text(col_amount, y, f"${_money(total)}", "F2", 12, align="right")

    # Free text and footer
    y -= 56
    page.text(left, y, "Notes", "F2", 11)
    y = page.paragraph(
        left,
        y - 16,
        right - left,
        "Please include the invoice number INV-2026-0042 with your payment. Payment by bank "
        "transfer to First Harbor Bank, account 0042-7781-9930, routing 125000024.",
        size=10,
        leading=13.5,
    )
    page.paragraph(
        left,
        y - 6,
        right - left,
        "Thank you for your business, Maria! It has been a pleasure to supply Alfreds Futterkiste "
        "again this quarter, and we look forward to your next order.",
        size=10,
        leading=13.5,
    )
    page.rule(left, 70, right, 70)
    page.text(
        306, 56, "Northwind Traders Ltd - Registered in Washington State - Tax ID 91-7654321", size=8, align="center"
    )
    return page


REPORT_TITLE = "Quarterly Report - Q1 2026"
REPORT_ORG = "Contoso Renewable Energy Cooperative"
REPORT_PAGES: list[list[tuple[str, str]]] = [
    [
        ("h", "Executive summary"),
        (
            "p",
            "This report covers the first quarter of 2026, from January 1, 2026 to March 31, 2026, for "
            "the Contoso Renewable Energy Cooperative. The quarter closed with revenue of $4,218,700, an "
            "increase of 12.4 percent over the same quarter of 2025, driven mainly by higher output from "
            "the Lakeside wind farm and the new community solar sites.",
        ),
        (
            "p",
            "Operating costs were $2,960,150, slightly below the budget of $3,050,000 approved by the "
            "board on December 9, 2025. The cooperative ended the quarter with cash reserves of "
            "$1,875,400 and no drawings on its revolving credit facility.",
        ),
        (
            "p",
            "Chief Executive Officer Dr. Helena Marsh presented these results to the members' council on "
            "April 8, 2026. The council approved the proposed dividend of $0.42 per member share, payable "
            "on May 15, 2026.",
        ),
        ("h", "Highlights"),
        (
            "p",
            "Energy delivered to the grid reached 38,600 MWh, the highest first-quarter figure in the "
            "history of the cooperative. Availability of the turbine fleet averaged 97.1 percent, and "
            "the two new rooftop arrays in Redmond began commercial operation on February 2, 2026.",
        ),
    ],
    [
        ("h", "Financial review"),
        (
            "p",
            "Revenue from electricity sales was $3,904,300 and revenue from renewable energy "
            "certificates was $314,400. Average realised prices rose to $101.15 per MWh, compared with "
            "$96.80 per MWh in the first quarter of 2025, because more output was sold under the "
            "fixed-price agreement signed with the City of Tacoma in October 2025.",
        ),
        (
            "p",
            "Maintenance expenditure was $612,000. A gearbox replacement at turbine 7 accounted for "
            "$148,500 of this amount; the work was completed on March 3, 2026, two weeks ahead of "
            "schedule. Staff costs were $1,020,400 for an average headcount of 46.",
        ),
        (
            "p",
            "Capital expenditure reached $2,350,000, most of it on the Cedar Ridge battery storage "
            "project. The project remains within its total budget of $9,800,000 and is expected to be "
            "energised in the third quarter of 2026.",
        ),
        ("h", "Members and community"),
        (
            "p",
            "Membership grew by 312 households to 8,947 members. The community fund awarded grants "
            "totalling $57,250 to eleven local organisations, including the Kitsap Food Bank and three "
            "school energy-efficiency programmes.",
        ),
    ],
    [
        ("h", "Outlook"),
        (
            "p",
            "For the second quarter of 2026 the cooperative expects revenue between $3,700,000 and "
            "$4,000,000, reflecting the usual seasonal decline in wind output. The board has scheduled "
            "the annual general meeting for June 20, 2026, in Bremerton.",
        ),
        (
            "p",
            "The main risks for the rest of the year are delays in grid connection for the Cedar Ridge "
            "project and lower wholesale prices during the spring. Management will report on both at "
            "the next council meeting on July 14, 2026.",
        ),
        ("h", "Contacts"),
        (
            "p",
            "Questions about this report can be sent to the finance team at finance@contoso.example. "
            "Media enquiries should be addressed to Amélie Laurent, Head of Communications, at "
            "+1 360-555-0187.",
        ),
        (
            "p",
            "Approved for publication by Dr. Helena Marsh, Chief Executive Officer, and Rahul Mehta, "
            "Chair of the Audit Committee, on April 10, 2026.",
        ),
    ],
]


def report_pages() -> list[Page]:
    pages = []
    total = len(REPORT_PAGES)
    for number, blocks in enumerate(REPORT_PAGES, start=1):
        page = Page()
        page.text(56, 750, REPORT_ORG, "F2", 9)
        page.text(556, 750, REPORT_TITLE, size=9, align="right")
        page.rule(56, 742, 556, 742, width=0.5)
        y = 708.0
        if number == 1:
            page.text(56, y, REPORT_TITLE, "F2", 20)
            page.text(56, y - 20, "Prepared for the members' council - published April 10, 2026", size=10)
            y -= 52
        for kind, text in blocks:
            if kind == "h":
                page.text(56, y, text, "F2", 13)
                y -= 20
            else:
                y = page.paragraph(56, y, 500, text) - 8
        page.rule(56, 60, 556, 60, width=0.5)
        page.text(306, 44, f"Page {number} of {total}", size=9, align="center")
        pages.append(page)
    return pages


def scanned_page_pdf() -> bytes:
    """A page that only paints an 8x8 grey image: no text layer, as from a scanner."""
    pixels = bytes((x * 29 + y * 13) % 256 for y in range(8) for x in range(8))
    page = Page([b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (PAGE_WIDTH, PAGE_HEIGHT)], images={"Im1": (8, 8, pixels)})
    return build_pdf([page], "Scanned page")


VOICEMAIL = (
    "Hello, my name is John Smith and I work for the sales team in London. "
    "Please call me on Monday morning to discuss the new contract. "
    "The customer was very happy with the product."
)
CAPTION = ("Eileen Collins, STS-93 commander", "NASA photo, public domain")


def astronaut_photo() -> bytes:
    """The astronaut portrait with its caption band below, as a JPEG."""
    import io

    from PIL import Image, ImageDraw

    from bench.inputs import faces
    from bench.inputs.text_images import font

    photo = Image.fromarray(faces.astronaut())
    band = 72
    canvas = Image.new("RGB", (photo.width, photo.height + band), (250, 250, 250))
    canvas.paste(photo, (0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.text((16, photo.height + 10), CAPTION[0], font=font("sans-bold", 24), fill=(20, 20, 20))
    draw.text((16, photo.height + 40), CAPTION[1], font=font("sans", 18), fill=(60, 60, 60))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=88, optimize=True)
    return buffer.getvalue()


def voicemail() -> bytes:
    """:data:`VOICEMAIL` as MP3, spoken by the local Polly engine."""
    from insight_local.ai import polly

    return polly.synthesize({"Text": VOICEMAIL, "VoiceId": "Joanna", "OutputFormat": "mp3"}).body


def main() -> None:
    import sys

    # The image and audio samples are drawn and spoken by the repository's own tools.
    sys.path.insert(0, str(SAMPLES_DIR.parent))
    bad = SAMPLES_DIR / "bad"
    bad.mkdir(exist_ok=True)
    invoice = build_pdf([invoice_page()], "Invoice INV-2026-0042")
    outputs = {
        SAMPLES_DIR / "invoice.pdf": invoice,
        SAMPLES_DIR / "report.pdf": build_pdf(report_pages(), f"{REPORT_ORG} - {REPORT_TITLE}"),
        bad / "encrypted.pdf": build_pdf([invoice_page()], "Invoice INV-2026-0042", encrypt=True),
        bad / "truncated.pdf": invoice[: len(invoice) // 2],
        bad / "not_a_png.png": b"This is a plain text file with a .png name, not an image.\n",
        bad / "empty.pdf": b"",
        bad / "scanned_no_text.pdf": scanned_page_pdf(),
    }
    from bench.inputs.text_images import encode
    from bench.inputs.text_images import invoice_page as invoice_image

    outputs[SAMPLES_DIR / "invoice-scan.png"] = encode(invoice_image().image, optimize=True)
    outputs[SAMPLES_DIR / "astronaut.jpg"] = astronaut_photo()
    outputs[SAMPLES_DIR / "voicemail.mp3"] = voicemail()
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"{path.relative_to(SAMPLES_DIR.parent)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
