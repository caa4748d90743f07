"""An uploaded Word template is rebuilt from what a report needs, parsed and rendered in a child
process the operating system bounds, and refused in Chinese for what it may not hold
(reports/template_rebuild.py, reports/bounded.py, reports/pdf.py; docs/report.md, Word 模板)."""

import hashlib
import http.server
import io
import re
import resource
import shutil
import struct
import subprocess
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from django.urls import reverse
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Mm

from reports import bounded, pdf, template_rebuild
from reports import docx as report_docx
from reports.docx import TemplateRefused, check_template, prepare_template, render_report, sample_context
from reports.docx_template import DEFAULT_TEMPLATE_PATH

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
)
TAGS = "{{ title }}{{ sections|length }}"
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,.]+(?:[A-Za-z]{2,}[ ,.']+){2,}")  # three English words in a row


def _save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _base(*texts: str):
    document = Document()
    for text in texts or (TAGS,):
        document.add_paragraph(text)
    return document


def _body(document, xml: str) -> None:
    """Adds ``xml`` (WordprocessingML with the namespaces above) before the section properties."""
    document.element.body.insert(len(document.element.body) - 1, parse_xml(xml.replace("NS", NS, 1)))


def _part(document, name: str, content_type: str, blob: bytes, reltype: str) -> str:
    part = Part(PackURI(name), content_type, blob, document.part.package)
    return document.part.relate_to(part, reltype)


def _chinese_refusal(problems: list[str]) -> str:
    assert problems, "refused"
    text = " ".join(problems)
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not ENGLISH.search(text), text  # never Jinja's or Python's English
    return text


def _png(width: int = 4, height: int = 3) -> bytes:
    """A small red PNG, made by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _nested_docx() -> bytes:
    """The chunk the attacker hid: a .docx with an outside image, INCLUDEPICTURE and DDEAUTO."""
    inner = _base("nested")
    rid = inner.part.relate_to("http://127.0.0.1:8102/healthz?ssrf=nested-image", RT.IMAGE, is_external=True)
    _body(
        inner,
        f'<w:p NS><w:r><w:drawing><wp:inline><wp:extent cx="9" cy="9"/><wp:docPr id="9" name="x"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
        f'<pic:blipFill><a:blip r:link="{rid}"/></pic:blipFill></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>",
    )
    _body(
        inner,
        '<w:p NS><w:fldSimple w:instr=" INCLUDEPICTURE &quot;http://127.0.0.1:8102/x&quot; \\d ">'
        "<w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>",
    )
    _body(
        inner,
        '<w:p NS><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
    )
    return _save(inner)


def _alt_chunk(kind: str) -> bytes:
    chunks = {
        "docx": ("/word/afchunk.docx", f"{template_rebuild._WML}.document", _nested_docx()),
        "rtf": ("/word/afchunk.rtf", "application/rtf", rb"{\rtf1 {\field{\*\fldinst INCLUDEPICTURE x}}}"),
        "html": ("/word/afchunk.htm", "text/html", b'<html><img src="http://127.0.0.1:8102/h"></html>'),
        "mht": ("/word/afchunk.mht", "message/rfc822", b"MIME-Version: 1.0\r\n\r\n<img src=http://x/>"),
    }
    name, content_type, blob = chunks[kind]
    document = _base()
    rid = _part(document, name, content_type, blob, RT.A_F_CHUNK)
    _body(document, f'<w:altChunk NS r:id="{rid}"/>')
    return _save(document)


def _external_image() -> bytes:
    document = _base()
    rid = document.part.relate_to("http://127.0.0.1:8102/healthz?ssrf=image", RT.IMAGE, is_external=True)
    _body(
        document,
        f'<w:p NS><w:r><w:pict><v:shape id="s" style="width:9pt;height:9pt"><v:imagedata r:id="{rid}"/>'
        "</v:shape></w:pict></w:r></w:p>",
    )
    return _save(document)


def _external_hyperlink() -> bytes:
    document = _base()
    rid = document.part.relate_to("http://example.com/phish", RT.HYPERLINK, is_external=True)
    _body(document, f'<w:p NS><w:hyperlink r:id="{rid}"><w:r><w:t>市局通知</w:t></w:r></w:hyperlink></w:p>')
    return _save(document)


def _field_simple(instr: str) -> bytes:
    document = _base()
    _body(document, f'<w:p NS><w:fldSimple w:instr="{instr}"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>')
    return _save(document)


def _field_complex(*pieces: str, nested: str | None = None) -> bytes:
    """A complex field whose instruction Word split over runs; ``nested``: a field inside it."""
    runs = '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    runs += "".join(f'<w:r><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>' for piece in pieces)
    if nested:
        runs += (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve">{nested}</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )
    runs += '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
    runs += '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    document = _base()
    _body(document, f"<w:p NS>{runs}</w:p>")
    return _save(document)


def _vba_project() -> bytes:
    document = _base()
    _part(
        document,
        "/word/vbaProject.bin",
        "application/vnd.ms-office.vbaProject",
        b"\xd0\xcf\x11\xe0 macro",
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
    )
    return _save(document)


def _ole_object() -> bytes:
    document = _base()
    rid = _part(
        document,
        "/word/embeddings/oleObject1.bin",
        "application/vnd.openxmlformats-officedocument.oleObject",
        b"\xd0\xcf\x11\xe0 ole",
        RT.OLE_OBJECT,
    )
    _body(
        document,
        f'<w:p NS><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" ShapeID="_x0000_i1025" '
        f'r:id="{rid}"/></w:object></w:r></w:p>',
    )
    return _save(document)


def _activex() -> bytes:
    document = _base()
    rid = _part(
        document,
        "/word/activeX/activeX1.xml",
        "application/vnd.ms-office.activeX+xml",
        b'<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40}"/>',
        RT.CONTROL,
    )
    _body(document, f'<w:p NS><w:r><w:control r:id="{rid}" w:name="CommandButton1"/></w:r></w:p>')
    return _save(document)


def _data_binding() -> bytes:
    document = _base()
    _body(
        document,
        '<w:sdt NS><w:sdtPr><w:dataBinding w:xpath="/root/secret" w:storeItemID="{1A2B}"/></w:sdtPr>'
        "<w:sdtContent><w:p><w:r><w:t>x</w:t></w:r></w:p></w:sdtContent></w:sdt>",
    )
    return _save(document)


HOSTILE = [
    # (template, what the refusal names: the part and the element or field)
    pytest.param(
        _alt_chunk("docx"), ["word/document.xml", "altChunk", "word/afchunk.docx"], id="altChunk-docx"
    ),
    pytest.param(_alt_chunk("rtf"), ["altChunk", "afchunk.rtf"], id="altChunk-rtf"),
    pytest.param(_alt_chunk("html"), ["altChunk", "afchunk.htm"], id="altChunk-html"),
    pytest.param(_alt_chunk("mht"), ["altChunk", "afchunk.mht"], id="altChunk-mht"),
    pytest.param(
        _external_image(), ["word/document.xml", "127.0.0.1:8102/healthz?ssrf=image"], id="external-image"
    ),
    pytest.param(
        _external_hyperlink(), ["word/document.xml", "example.com/phish", "超链接"], id="external-link"
    ),
    pytest.param(
        _field_simple(" INCLUDEPICTURE &quot;http://127.0.0.1:8102/p&quot; \\d "),
        ["word/document.xml", "INCLUDEPICTURE 域"],
        id="INCLUDEPICTURE-fldSimple",
    ),
    pytest.param(
        _field_complex(" INCLUDEPIC", 'TURE "http://127.0.0.1:8102/p" '),
        ["word/document.xml", "INCLUDEPICTURE 域"],
        id="INCLUDEPICTURE-instrText",
    ),
    pytest.param(
        _field_complex(' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" '),
        ["DDEAUTO 域"],
        id="DDEAUTO",
    ),
    pytest.param(
        _field_complex(" PAGE ", nested=' INCLUDETEXT "http://127.0.0.1:8102/t" '),
        ["INCLUDETEXT 域"],
        id="field-nested-in-PAGE",
    ),
    pytest.param(
        _field_simple(" HYPERLINK &quot;http://example.com&quot; "), ["HYPERLINK 域"], id="HYPERLINK-field"
    ),
    pytest.param(_field_simple(" DATE "), ["DATE 域"], id="DATE-field"),
    pytest.param(_vba_project(), ["宏", "vbaProject.bin"], id="vbaProject"),
    pytest.param(_ole_object(), ["word/document.xml", "OLE", "OLEObject"], id="OLE"),
    pytest.param(_activex(), ["word/document.xml", "ActiveX", "w:control"], id="ActiveX"),
    pytest.param(_data_binding(), ["word/document.xml", "数据绑定", "w:dataBinding"], id="customXml-binding"),
]


@pytest.mark.parametrize(("data", "named"), HOSTILE)
def test_a_template_with_active_content_is_refused_in_chinese_naming_the_part(data, named):
    problems = check_template(data)
    text = _chinese_refusal(problems)
    for words in named:
        assert words in text, (words, problems)
    rebuilt, problems_again = prepare_template(data)
    assert rebuilt is None and problems_again == problems  # nothing to store
    with pytest.raises(TemplateRefused) as refused:  # nor rendered, should one be in the database
        render_report(sample_context(), data)
    _chinese_refusal([str(refused.value)])


def test_the_nested_document_of_an_alt_chunk_never_reaches_the_stored_package():
    """What the attacker's review found: the check read only /word/*.xml of the outer package."""
    problems = check_template(_alt_chunk("docx"))
    assert any("外部文档块" in p for p in problems), problems


# --------------------------------------------------------------------------- a legitimate template


def _legitimate() -> bytes:
    """A brigade's template as Word would make it: a header, a footer with PAGE and NUMPAGES, an
    image, numbered paragraphs."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.header.paragraphs[0].text = "{{ brigade.name }}（{{ year }}年度）"
    footer = section.footer.paragraphs[0]
    footer.text = "第 "
    for run in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE \\* MERGEFORMAT </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        footer._p.append(parse_xml(f"<w:r {NS}>{run}</w:r>"))
    footer._p.append(parse_xml(f'<w:r {NS}><w:t xml:space="preserve"> 页，共 </w:t></w:r>'))
    footer._p.append(
        parse_xml(f'<w:fldSimple {NS} w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )
    footer._p.append(parse_xml(f'<w:r {NS}><w:t xml:space="preserve"> 页</w:t></w:r>'))
    document.add_picture(io.BytesIO(_png()), width=Mm(20))
    document.add_paragraph("{{ title }}", style="Title")
    document.add_paragraph("{{ addressee }}：")
    document.add_paragraph("{%p for s in sections %}")
    document.add_paragraph("{{ s.heading }}", style="List Number")
    document.add_paragraph("{%p for text in s.paragraphs %}")
    document.add_paragraph("{{ text }}", style="List Bullet")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{{ issuer }}")
    document.add_paragraph("{{ date }}")
    return _save(document)  # with Word's bookkeeping python-docx also writes: web settings, customXml


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _numbered(paragraph) -> bool:
    """Numbered by its own properties or its style's (List Number)."""
    return any(
        ppr is not None and ppr.numPr is not None for ppr in (paragraph._p.pPr, paragraph.style.element.pPr)
    )


def _structure(data: bytes) -> dict:
    """What a reader sees: paragraphs with their styles and numbering, headers and footers with
    their fields, the images, the section's page (read without adding a header or footer)."""
    document = Document(io.BytesIO(data))
    section = document.sections[0]
    header, footer = (
        None if part.is_linked_to_previous else part for part in (section.header, section.footer)
    )
    return {
        "body xml": document.element.body.xml,
        "body": [(p.style.name, p.text, _numbered(p)) for p in document.paragraphs],
        "header": header and [p.text for p in header.paragraphs],
        "footer": footer and [p.text for p in footer.paragraphs],
        "footer fields": footer and report_docx._field_codes(footer.part.blob),
        "images": sorted(
            hashlib.sha256(part.blob).hexdigest()
            for part in document.part.package.iter_parts()
            if part.partname.startswith("/word/media/")
        ),
        "numbering": document.part.numbering_part.element.xml,
        "styles": document.styles.element.xml,
        "page": (section.page_width, section.page_height),
    }


def test_a_legitimate_template_is_accepted_rebuilt_and_renders_as_before():
    data = _legitimate()
    rebuilt, problems = prepare_template(data)
    assert problems == [] and rebuilt is not None
    names = set(_parts(rebuilt))
    assert "word/webSettings.xml" not in names and not any(n.startswith("customXml/") for n in names)
    assert {"word/header1.xml", "word/footer1.xml", "word/numbering.xml", "word/media/image1.png"} <= names
    assert template_rebuild.rebuild(rebuilt)[0] == rebuilt  # rebuilding is stable

    before = report_docx._render(
        sample_context(), data
    )  # as it rendered before: in this process, as uploaded
    after = render_report(sample_context(), data)  # rebuilt, in the bounded child
    assert _structure(after) == _structure(before)
    structure = _structure(after)
    assert structure["header"] == ["双牌县公安局交通警察大队（2025年度）"]
    assert [code.split()[0] for code in structure["footer fields"]] == ["PAGE", "NUMPAGES"]
    assert len(structure["images"]) == 1 and any(numbered for _, _, numbered in structure["body"])


def test_the_default_template_renders_the_same_uploaded_as_built_in():
    default = DEFAULT_TEMPLATE_PATH.read_bytes()
    assert check_template(default) == []
    assert _structure(render_report(sample_context(), default)) == _structure(render_report(sample_context()))


def test_only_the_rebuilt_package_is_stored(as_legal):
    from reports.models import ReportTemplate

    upload = io.BytesIO(_legitimate())
    upload.name = "红头.docx"
    response = as_legal.post(reverse("reports:templates"), {"name": "红头", "file": upload})
    assert response.status_code == 302
    stored = ReportTemplate.objects.get()
    content = bytes(stored.content)
    assert content == template_rebuild.rebuild(_legitimate())[0]
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert "word/webSettings.xml" not in _parts(content)

    upload = io.BytesIO(_alt_chunk("docx"))
    upload.name = "evil.docx"
    page = as_legal.post(reverse("reports:templates"), {"name": "恶意", "file": upload}).content.decode()
    assert "altChunk" in page and ReportTemplate.objects.count() == 1


# --------------------------------------------------------------------------- bounded work


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


BOMBS = [
    # The attacker's concatenation: a set of a ~ a ~ … (no operator hook sees ~).
    pytest.param(
        '{% set a = "x" * 199999 %}{% set b = ' + " ~ ".join(["a"] * 300) + " %}{{ b|length }}",
        "内容过长",
        id="set-concatenation",
    ),
    pytest.param(
        '{% set a = "x" * 199999 %}{% set b = [a] * 9000 %}{{ b|join }}', "内容过长", id="list-of-references"
    ),
    pytest.param('{% set a = "x" * 199999 %}{{ [a, a, a]|join }}', "内容过长", id="join"),
    pytest.param('{{ ("x" * 199999)|replace("x", "yyyyyyyyyy") }}', "内容过长", id="replace"),
    pytest.param(r'{{ ("x\n" * 99999)|indent(1000) }}', "内容过长", id="indent"),
    pytest.param('{{ ("x" * 199999)|wordwrap(1, wrapstring="0123456789") }}', "内容过长", id="wordwrap"),
    pytest.param('{{ "%s%s" % ("x" * 199999, "y" * 199999) }}', "内容过长", id="percent-format"),
    pytest.param('{{ ",".join(["x" * 199999] * 9) }}', "内容过长", id="str-join"),
    pytest.param(r'{{ ("\t" * 199999).expandtabs(999) }}', "内容过长", id="expandtabs"),
    pytest.param('{% set a = "x" * 199999 %}{{ a ~ a }}', "内容过长", id="tilde"),
    pytest.param(
        '{% set a = "x" * 199999 %}{{ [' + ", ".join(["a"] * 500) + "] }}", "内容过多", id="printed-literal"
    ),
    pytest.param(
        "{% set l = [1] * 199999 %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
        "步骤过多",
        id="empty-loops",
    ),
    # docxtpl's preprocessing, before any sandbox: backtracks from every unclosed {{.
    pytest.param("{{ x " * 40000, "没有对应的 }}", id="preprocessing"),
]


@pytest.mark.parametrize(("tags", "reason"), BOMBS)
def test_a_costly_template_is_refused_in_chinese_quickly_and_the_worker_does_not_grow(tags, reason):
    data = _save(_base(TAGS, tags))
    rss, peak = _rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    problems = check_template(data)
    with pytest.raises(TemplateRefused) as refused:
        render_report(sample_context(), data)
    elapsed = time.monotonic() - started
    text = _chinese_refusal([*problems, str(refused.value)])
    assert reason in text, text
    assert elapsed < 2 * bounded.SECONDS
    assert _rss_kb() - rss < 30_000  # kB: the parse and render happened elsewhere
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 30_000


def test_what_the_counts_allow_the_operating_system_still_bounds(monkeypatch):
    """The child's own limits, whatever the template: a rendering within every count (10,000
    paragraphs: some 100 MB of address space, 45 of them Python and its libraries) is refused under
    a lower memory limit, then under a shorter wall clock."""
    data = _save(_base(TAGS, "{%p for i in range(10000) %}", "{{ i }}{{ opening }}", "{%p endfor %}"))
    assert render_report(sample_context(), data).startswith(b"PK")  # within the default limits
    monkeypatch.setattr(bounded, "MEMORY_MB", 64)
    rss = _rss_kb()
    problems = check_template(data)
    assert len(problems) == 1 and "内存超过 64 MB（上限）" in problems[0], problems
    with pytest.raises(TemplateRefused, match="内存超过 64 MB"):
        render_report(sample_context(), data)
    assert _rss_kb() - rss < 30_000

    monkeypatch.setattr(bounded, "MEMORY_MB", 512)
    monkeypatch.setattr(bounded, "SECONDS", 0.05)
    started = time.monotonic()
    with pytest.raises(TemplateRefused, match="处理该模板超过"):
        render_report(sample_context(), data)
    assert time.monotonic() - started < 3


# --------------------------------------------------------------------------- messages in Chinese


@pytest.mark.parametrize(
    ("tags", "words"),
    [
        ("{{ title|safe }}", ["不允许使用 safe 过滤器"]),
        (
            "{%p for s in sections %}",
            ["正文第 2 段（“{%p for s in sections %}”）", "没有对应的 {%p endfor %}"],
        ),
        ("{% if year %}", ["第 2 段", "{% if %} 没有对应的 {% endif %}"]),
        ("{{ title }", ["第 2 段", "没有对应的 }}"]),
        ("{{ title ) }}", ["第 2 段", "多出了“)”"]),
        ("{% frobnicate %}", ["不认识的标签“frobnicate”"]),
        ("{% for s in sections %}{% endif %}", ["{% endif %} 与同一段中的 {% for %} 不配对", "{% endfor %}"]),
        ("{{ title }}{% else %}", ["{% else %} 不在 if 或 for 之内"]),
        ("{% if year %}{% elif %}{% endif %}", ["第 2 段", "此处缺少表达式"]),
        ("{{ title|nosuchfilter }}", ["没有名为“nosuchfilter”的过滤器"]),
        ("{{ sections.append(1) }}", ["“append”"]),
        ("{{ brigade.secret }}", ["没有“secret”这一项"]),
    ],
)
def test_template_errors_are_told_in_chinese_naming_the_paragraph(tags, words):
    data = _save(_base(TAGS, tags))
    problems = check_template(data)
    text = _chinese_refusal(problems)
    for word in words:
        assert word in text, (word, problems)
    with pytest.raises(TemplateRefused) as refused:
        render_report(sample_context(), data)
    _chinese_refusal([str(refused.value)])


# --------------------------------------------------------------------------- LibreOffice


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 — http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(_png())

    def log_message(self, *args):
        pass


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_without_reaching_the_network():
    """Even a document that links a URL (none that the software makes can) fetches nothing."""
    if not pdf.isolation():
        pytest.skip("no network namespace here: docx_to_pdf logs a warning and runs with the network")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        document = _base("外部图片")
        rid = document.part.relate_to(
            f"http://127.0.0.1:{server.server_address[1]}/ssrf.png", RT.IMAGE, is_external=True
        )
        _body(
            document,
            f'<w:p NS><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/><wp:docPr id="9" name="x"/>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
            '<pic:nvPicPr><pic:cNvPr id="9" name="x"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
            '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
            '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
            "</w:drawing></w:r></w:p>",
        )
        _Listener.hits.clear()
        assert pdf.docx_to_pdf(_save(document)).startswith(b"%PDF")
        time.sleep(0.3)
        assert _Listener.hits == []
    finally:
        server.shutdown()


def test_libreoffice_runs_bounded_with_its_own_profile_and_no_network(monkeypatch):
    """The command: the limits set before LibreOffice starts, the namespace, the profile."""
    seen = {}

    class Recorder:
        def __init__(self, command, **kwargs):
            seen["command"] = command
            self.pid, self.returncode = 0, 0

        def communicate(self, timeout=None):
            Path(seen["command"][-1]).with_suffix(".pdf").write_bytes(b"%PDF-1.4")  # the last: the .docx
            return b"", b""

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(pdf, "isolation", lambda: ("/usr/bin/unshare", "-rn"))
    monkeypatch.setattr(subprocess, "Popen", Recorder)
    assert pdf.docx_to_pdf(b"docx") == b"%PDF-1.4"
    command = seen["command"]
    limits = command[command.index("-c") + 1]
    assert "RLIMIT_AS" in limits and "RLIMIT_CPU" in limits and "execvp" in limits
    assert command[command.index("-c") + 2 : command.index("-c") + 4] == [
        str(pdf.MEMORY_MB),
        str(pdf.CPU_SECONDS),
    ]
    soffice = command.index("/usr/bin/soffice")
    assert command[soffice - 2 : soffice] == ["/usr/bin/unshare", "-rn"]
    assert any(c.startswith("-env:UserInstallation=file://") and "report-pdf-" in c for c in command)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler (pdftotext) is not installed")
def test_a_legitimate_template_prints_as_before(tmp_path):
    def text(docx: bytes) -> str:
        path = tmp_path / "out.pdf"
        path.write_bytes(pdf.docx_to_pdf(docx))
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout

    data = _legitimate()
    before, after = (
        text(report_docx._render(sample_context(), data)),
        text(render_report(sample_context(), data)),
    )
    assert after == before
    squeezed = re.sub(r"\s", "", after)  # pdftotext spaces digits from Chinese
    assert "双牌县公安局交通警察大队（2025年度）" in squeezed and re.search(r"第1页，共\d页", squeezed)
