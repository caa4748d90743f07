"""A report template's fields as Word and LibreOffice read them (reports/template_rebuild.py,
``Fields``; docs/report.md, Word 模板): a complex field's code is everything from its begin mark to
its separate mark, not only its ``w:instrText``. The attack rerun of issue 21 put
``INCLUDETEXT "/etc/hostname"`` in a ``w:t`` there, next to an instrText reading `` PAGE ``: the
check joined the instrText alone, saw PAGE and stored the template; the downloaded report
carried an INCLUDETEXT (HYPERLINK, INCLUDEPICTURE, DDEAUTO) field."""

import io
import re
import zipfile

import pytest
from docx import Document
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml

from reports import docx as report_docx
from reports.docx import TemplateRefused, check_template, prepare_template, render_report, sample_context
from reports.docx_template import DEFAULT_TEMPLATE_PATH

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
TAGS = "{{ title }}{{ sections|length }}"
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,.]+(?:[A-Za-z]{2,}[ ,.']+){2,}")  # three English words in a row

BEGIN = '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
SEPARATE = '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
END = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
RESULT = "<w:r><w:t>1</w:t></w:r>"


def instr(text: str) -> str:
    return f'<w:r><w:instrText xml:space="preserve">{text}</w:instrText></w:r>'


def text_run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def page_field(inside: str, *, separate: bool = True) -> str:
    """A field whose instrText reads PAGE, with ``inside`` between its begin and separate marks."""
    return BEGIN + inside + instr(" PAGE ") + (SEPARATE + RESULT if separate else "") + END


def _save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraph(xml: str):
    return parse_xml(f"<w:p {W_NS}>{xml}</w:p>")


def _in_body(*paragraphs: str) -> bytes:
    document = Document()
    document.add_paragraph(TAGS)
    body = document.element.body
    for xml in paragraphs:
        body.insert(len(body) - 1, _paragraph(xml))
    return _save(document)


def _in_footer(xml: str) -> bytes:
    document = Document()
    document.add_paragraph(TAGS)
    footer = document.sections[0].footer
    footer._element.append(_paragraph(xml))
    return _save(document)


def _in_header(xml: str) -> bytes:
    document = Document()
    document.add_paragraph(TAGS)
    header = document.sections[0].header
    header._element.append(_paragraph(xml))
    return _save(document)


def _part_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [name for name in archive.namelist() if re.fullmatch(r"word/(footer|header)\d*\.xml", name)]


def _refused(data: bytes) -> str:
    """The refusal of ``data`` (upload, store, render alike), checked to be Chinese."""
    rebuilt, problems = prepare_template(data)
    assert rebuilt is None, "the template was accepted"
    text = " ".join(problems)
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not ENGLISH.search(text), text
    with pytest.raises(TemplateRefused):  # nor rendered, should one be in the database already
        render_report(sample_context(), data)
    return text


INCLUDETEXT = "INCLUDETEXT &quot;/etc/hostname&quot; "

# (where, the paragraph's runs, what the refusal must name besides the part)
IN_THE_CODE = [
    pytest.param(page_field(text_run(INCLUDETEXT)), ["INCLUDETEXT", "w:t"], id="w:t-INCLUDETEXT"),
    pytest.param(
        page_field(text_run("HYPERLINK &quot;http://evil.example/phish&quot; ")),
        ["HYPERLINK", "w:t"],
        id="w:t-HYPERLINK",
    ),
    pytest.param(
        page_field(text_run("INCLUDEPICTURE &quot;http://127.0.0.1:8199/pic&quot; \\d ")),
        ["INCLUDEPICTURE", "w:t"],
        id="w:t-INCLUDEPICTURE",
    ),
    pytest.param(
        page_field(text_run("DDEAUTO &quot;cmd&quot; &quot;/c calc&quot; "), separate=False),
        ["DDEAUTO", "w:t"],
        id="w:t-DDEAUTO-no-separate",
    ),
    pytest.param(page_field(text_run("")), ["w:t"], id="w:t-empty"),
    pytest.param(
        page_field(f'<w:del w:id="1" w:author="x"><w:r><w:delText>{INCLUDETEXT}</w:delText></w:r></w:del>'),
        ["w:del"],
        id="w:delText",
    ),
    pytest.param(page_field('<w:r><w:sym w:font="Symbol" w:char="F0B7"/></w:r>'), ["w:sym"], id="w:sym"),
    pytest.param(page_field("<w:r><w:tab/></w:r>"), ["w:tab"], id="w:tab"),
    pytest.param(page_field("<w:r><w:br/></w:r>"), ["w:br"], id="w:br"),
    pytest.param(page_field("<w:r><w:cr/></w:r>"), ["w:cr"], id="w:cr"),
    pytest.param(page_field("<w:r><w:noBreakHyphen/></w:r>"), ["w:noBreakHyphen"], id="w:noBreakHyphen"),
    pytest.param(page_field("<w:r><w:softHyphen/></w:r>"), ["w:softHyphen"], id="w:softHyphen"),
    pytest.param(
        page_field('<w:r><w:ptab w:relativeTo="margin" w:alignment="center" w:leader="none"/></w:r>'),
        ["w:ptab"],
        id="w:ptab",
    ),
    pytest.param(
        page_field(f'<w:fldSimple w:instr=" PAGE ">{text_run(INCLUDETEXT)}</w:fldSimple>'),
        ["w:fldSimple"],
        id="fldSimple-in-the-code",
    ),
    pytest.param(
        page_field(BEGIN + instr(" PAGE ") + SEPARATE + text_run(INCLUDETEXT) + END),
        ["嵌套", "w:fldChar"],
        id="nested-field-whose-result-is-code",
    ),
    pytest.param(
        page_field(f'<w:hyperlink w:anchor="x">{text_run(INCLUDETEXT)}</w:hyperlink>'),
        ["w:hyperlink"],
        id="w:hyperlink-in-the-code",
    ),
]


@pytest.mark.parametrize(("runs", "named"), IN_THE_CODE)
def test_anything_but_instr_text_in_a_field_code_is_refused_naming_the_part(runs, named):
    text = _refused(_in_body(runs))
    assert "word/document.xml" in text and "域代码" in text, text
    for words in named:
        assert words in text, (words, text)


def test_a_field_code_across_paragraphs_is_refused():
    text = _refused(_in_body(BEGIN + instr(" PAGE "), instr(" \\* MERGEFORMAT ") + SEPARATE + RESULT + END))
    assert "word/document.xml" in text and "分段" in text and "w:p" in text, text


@pytest.mark.parametrize("make", [_in_footer, _in_header], ids=["footer", "header"])
def test_text_in_a_field_code_of_a_header_or_footer_is_refused_naming_that_part(make):
    data = make("<w:r><w:t>第 </w:t></w:r>" + page_field(text_run(INCLUDETEXT)) + "<w:r><w:t> 页</w:t></w:r>")
    (part,) = _part_names(data)
    text = _refused(data)
    assert part in text and "INCLUDETEXT" in text and "w:t" in text, text


@pytest.mark.parametrize(
    ("runs", "named"),
    [
        pytest.param(BEGIN + instr(" PAGE ") + SEPARATE + RESULT, "没有结束标记", id="unclosed"),
        pytest.param(BEGIN + instr(" PAGE "), "没有结束标记", id="unclosed-before-separate"),
        pytest.param(instr(" PAGE ") + SEPARATE + RESULT + END, "多余的域", id="end-without-begin"),
        pytest.param(
            BEGIN + instr(" PAGE ") + SEPARATE + RESULT + SEPARATE + RESULT + END,
            "两个分隔标记",
            id="two-separates",
        ),
    ],
)
def test_field_marks_that_do_not_pair_are_refused(runs, named):
    text = _refused(_in_body(runs))
    assert "word/document.xml" in text and named in text, text


@pytest.mark.parametrize(
    "runs",
    [
        pytest.param(f'<w:fldSimple w:instr=" PAGE ">{page_field("")}</w:fldSimple>', id="complex-in-simple"),
        pytest.param(
            f'<w:fldSimple w:instr=" PAGE "><w:fldSimple w:instr=" PAGE ">{RESULT}</w:fldSimple></w:fldSimple>',
            id="simple-in-simple",
        ),
    ],
)
def test_a_field_inside_a_simple_field_is_refused(runs):
    text = _refused(_in_body(runs))
    assert "word/document.xml" in text and "w:fldSimple" in text, text


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([" PAGE", "REF _Toc1 "], id="PAGEREF"),
        pytest.param([" PAGE ", INCLUDETEXT], id="PAGE-then-INCLUDETEXT"),
        pytest.param(
            [" PA", "GE \\* MERGEFORMAT ", "HYPERLINK &quot;http://evil.example/&quot;"], id="split"
        ),
        pytest.param([" ＰＡＧＥ "], id="full-width"),
        pytest.param([" PA\u200bGE "], id="zero-width"),
    ],
)
def test_page_must_be_the_whole_instruction_but_for_its_switches(pieces):
    text = _refused(_in_body(BEGIN + "".join(instr(piece) for piece in pieces) + SEPARATE + RESULT + END))
    assert "word/document.xml" in text and "报告模板只允许页码域" in text, text


# ----------------------------------------------------------------- marks where no word processor reads them

MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:x1="urn:x-unknown"'
CODES = {
    "HYPERLINK": "HYPERLINK &quot;http://evil.example/phish&quot; ",
    "INCLUDETEXT": INCLUDETEXT,
    "DDEAUTO": "DDEAUTO &quot;cmd&quot; &quot;/c calc&quot; ",
    "INCLUDEPICTURE": "INCLUDEPICTURE &quot;http://127.0.0.1:8199/pic&quot; \\d ",
}


def _in_an_unknown_choice(marks: str) -> str:
    """A run's properties holding ``marks`` in an mc:Choice of a namespace nobody knows, with an
    empty fallback: Word and LibreOffice read the fallback, nothing."""
    return (
        f'<w:rPr><mc:AlternateContent {MC_NS}><mc:Choice Requires="x1">{marks}</mc:Choice>'
        "<mc:Fallback/></mc:AlternateContent></w:rPr>"
    )


def _hidden_marks(code: str, hide) -> str:
    """The attack rerun's field (issue 21, /tmp/attack2/tpl/mk3.py and mk4.py): a PAGE field's
    marks hidden in runs' properties, where Word and LibreOffice skip them; what they read is one
    field whose code is the ``w:t`` between — HYPERLINK, INCLUDETEXT, DDEAUTO…"""
    page_and_close = (
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>'
        '<w:fldChar w:fldCharType="separate"/><w:fldChar w:fldCharType="end"/>'
    )
    page_open = '<w:fldChar w:fldCharType="begin"/><w:instrText xml:space="preserve"> PAGE </w:instrText>'
    return (
        BEGIN
        + f'<w:r>{hide(page_and_close)}<w:t xml:space="preserve">{code}</w:t></w:r>'
        + f'<w:r>{hide(page_open)}<w:fldChar w:fldCharType="separate"/></w:r>'
        + text_run("点击查看")
        + END
    )


@pytest.mark.parametrize("name", list(CODES))
def test_field_marks_in_a_runs_properties_are_refused_and_the_field_they_hide_is_named(name):
    text = _refused(_in_body(_hidden_marks(CODES[name], lambda marks: f"<w:rPr>{marks}</w:rPr>")))
    assert "word/document.xml" in text and "w:rPr" in text and "域标记" in text, text
    assert name in text, text  # the field Word would read, not the PAGE the marks pretend


@pytest.mark.parametrize("name", list(CODES))
def test_field_marks_in_markup_compatibility_inside_a_runs_properties_are_refused(name):
    text = _refused(_in_body(_hidden_marks(CODES[name], _in_an_unknown_choice)))
    assert "word/document.xml" in text and "mc:AlternateContent" in text and "域" in text, text


@pytest.mark.parametrize("make", [_in_footer, _in_header], ids=["footer", "header"])
def test_a_page_field_whose_marks_sit_in_a_runs_properties_is_refused_in_a_footer_too(make):
    data = make(_hidden_marks(CODES["INCLUDETEXT"], lambda marks: f"<w:rPr><w:b/>{marks}</w:rPr>"))
    (part,) = _part_names(data)
    text = _refused(data)
    assert part in text and "INCLUDETEXT" in text and "w:rPr" in text, text


@pytest.mark.parametrize(
    "runs",
    [
        pytest.param(
            '<w:r><w:t>甲</w:t><w:pict><w:r><w:fldChar w:fldCharType="begin"/></w:r></w:pict></w:r>'
            + instr(" PAGE ")
            + SEPARATE
            + RESULT
            + END,
            id="run-in-a-picture",
        ),
        pytest.param(
            BEGIN
            + "<w:r><w:rPr><w:r><w:instrText> PAGE </w:instrText></w:r></w:rPr></w:r>"
            + SEPARATE
            + RESULT
            + END,
            id="run-in-run-properties",
        ),
    ],
)
def test_field_marks_in_a_run_that_is_not_in_a_paragraph_are_refused(runs):
    text = _refused(_in_body(runs))
    assert "word/document.xml" in text and "域标记" in text, text


def test_a_made_report_with_field_marks_in_run_properties_is_not_served():
    document = Document()
    document.add_paragraph("报告")
    hidden = _hidden_marks(CODES["HYPERLINK"], lambda marks: f"<w:rPr>{marks}</w:rPr>")
    document.element.body.insert(0, _paragraph(hidden))
    text = " ".join(report_docx._rendered_problems(_save(document)))
    assert "HYPERLINK" in text and "w:rPr" in text and "word/document.xml" in text, text


def _rebuilt_body(data: bytes) -> bytes:
    rebuilt, problems = prepare_template(data)
    assert problems == [] and rebuilt is not None, problems
    with zipfile.ZipFile(io.BytesIO(rebuilt)) as archive:
        return archive.read("word/document.xml")


def test_markup_compatibility_without_fields_keeps_what_word_reads_the_fallback():
    block = (
        f'<w:r><mc:AlternateContent {MC_NS}><mc:Choice Requires="x1"><w:t>选项甲</w:t></mc:Choice>'
        "<mc:Fallback><w:t>替代乙</w:t></mc:Fallback></mc:AlternateContent></w:r>"
    )
    body = _rebuilt_body(_in_body(block)).decode()
    assert "替代乙" in body and "选项甲" not in body and "AlternateContent" not in body


def test_a_runs_properties_keep_only_run_properties():
    run = (
        '<w:r><w:rPr><w:b/><w:sz w:val="28"/><w:t>{{ title }}隐藏</w:t>'
        '<w:ins w:id="1" w:author="x"><w:r><w:t>夹带</w:t></w:r></w:ins></w:rPr><w:t>正文</w:t></w:r>'
    )
    body = _rebuilt_body(_in_body(run)).decode()
    assert "正文" in body and "<w:b/>" in body and 'w:val="28"' in body
    assert "隐藏" not in body and "夹带" not in body


def test_text_inside_a_field_mark_never_reaches_the_stored_template():
    mark = '<w:fldChar w:fldCharType="begin"><w:t>INCLUDEPICTURE &quot;http://127.0.0.1:8199/pic&quot;</w:t></w:fldChar>'
    body = _rebuilt_body(_in_body(f"<w:r>{mark}</w:r>" + instr(" PAGE ") + SEPARATE + RESULT + END)).decode()
    assert "PAGE" in body and "INCLUDEPICTURE" not in body and "8199" not in body


WEB_VIDEO = (
    '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
    '<wp:extent cx="952500" cy="952500"/><wp:docPr id="99" name="v"/>'
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr>'
    '<pic:cNvPr id="99" name="v"><a:extLst><a:ext uri="{C809E66F-F1BF-436E-b5F7-EEA9579F0CBA}">'
    '<wp15:webVideoPr xmlns:wp15="http://schemas.microsoft.com/office/word/2012/wordprocessingDrawing"'
    ' embeddedHtml="&lt;iframe src=&quot;http://127.0.0.1:8199/video&quot;&gt;&lt;/iframe&gt;" h="315" w="560"/>'
    "</a:ext></a:extLst></pic:cNvPr><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip/></pic:blipFill>"
    "<pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
)


def test_a_web_videos_player_address_never_reaches_the_stored_template():
    """A web video (Word's 联机视频) keeps an iframe's address in wp15:webVideoPr; the picture stays,
    the player goes (issue 21's attack rerun, tpl/mk5.py)."""
    body = _rebuilt_body(_in_body(WEB_VIDEO)).decode()
    assert "<w:drawing>" in body
    assert "webVideoPr" not in body and "iframe" not in body and "8199" not in body


# --------------------------------------------------------------------------- what passes


def _page_number_footer() -> bytes:
    """A footer as Word writes 第 X 页，共 Y 页: the code split over runs with their properties,
    a proofing mark and a bookmark among them, lower case, switches; NUMPAGES as a simple field."""
    props = '<w:rPr><w:rFonts w:ascii="宋体" w:hint="eastAsia"/><w:sz w:val="28"/></w:rPr>'
    runs = (
        "<w:r><w:t>第 </w:t></w:r>"
        f'<w:r>{props}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{props}<w:instrText xml:space="preserve"> page </w:instrText></w:r>'
        '<w:proofErr w:type="spellStart"/><w:bookmarkStart w:id="0" w:name="_Page"/>'
        f'<w:r>{props}<w:instrText xml:space="preserve">\\* MERGEFORMAT </w:instrText></w:r>'
        '<w:bookmarkEnd w:id="0"/><w:proofErr w:type="spellEnd"/>'
        f'<w:r>{props}<w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r>{props}<w:t>1</w:t></w:r>"
        f'<w:r>{props}<w:fldChar w:fldCharType="end"/></w:r>'
        '<w:r><w:t xml:space="preserve"> 页，共 </w:t></w:r>'
        f'<w:fldSimple w:instr=" NUMPAGES \\* Arabic "><w:r>{props}<w:t>1</w:t></w:r></w:fldSimple>'
        "<w:r><w:t> 页</w:t></w:r>"
    )
    return _in_footer(runs)


def test_a_page_number_footer_passes_and_renders_with_its_fields():
    data = _page_number_footer()
    rebuilt, problems = prepare_template(data)
    assert problems == [] and rebuilt is not None
    rendered = Document(io.BytesIO(render_report(sample_context(), data)))
    footer = rendered.sections[0].footer
    codes = [code.split()[0].upper() for code in report_docx._field_codes(footer.part.blob)]
    assert codes == ["PAGE", "NUMPAGES"]
    assert footer.paragraphs[-1].text.startswith("第 ")


def test_the_default_template_passes():
    assert check_template(DEFAULT_TEMPLATE_PATH.read_bytes()) == []


def test_a_made_report_carrying_text_in_a_field_code_is_not_served():
    """The check after rendering reads fields as the upload check does: whatever a template's tags
    did, the report made is refused if a field's code holds text."""
    document = Document()
    document.add_paragraph("报告")
    document.element.body.insert(0, _paragraph(page_field(text_run(INCLUDETEXT))))
    problems = report_docx._rendered_problems(_save(document))
    text = " ".join(problems)
    assert "INCLUDETEXT" in text and "word/document.xml" in text and "w:t" in text, problems


# --------------------------------------------------------------------------- parts left out


def _with_part(name: str, content_type: str, reltype: str, root: str) -> bytes:
    document = Document()
    document.add_paragraph(TAGS)
    xml = f"<{root} {W_NS}><w:p>{page_field(text_run(INCLUDETEXT))}</w:p></{root.split()[0]}>"
    part = Part(PackURI(name), content_type, xml.encode(), document.part.package)
    document.part.relate_to(part, reltype)
    return _save(document)


_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.mark.parametrize(
    ("name", "content_type", "reltype", "root"),
    [
        pytest.param(
            "/word/comments.xml", f"{_WML}.comments+xml", f"{_REL}/comments", "w:comments", id="comments"
        ),
        pytest.param(
            "/word/glossary/document.xml",
            f"{_WML}.document.glossary+xml",
            f"{_REL}/glossaryDocument",
            "w:glossaryDocument",
            id="glossary",
        ),
        pytest.param(
            "/word/footnotes.xml", f"{_WML}.footnotes+xml", f"{_REL}/footnotes", "w:footnotes", id="footnotes"
        ),
    ],
)
def test_a_field_in_a_part_the_report_does_not_show_never_reaches_the_stored_template(
    name, content_type, reltype, root
):
    data = _with_part(name, content_type, reltype, root)
    assert b"INCLUDETEXT" in zipfile.ZipFile(io.BytesIO(data)).read(name.lstrip("/"))
    rebuilt, problems = prepare_template(data)
    assert problems == [] and rebuilt is not None
    with zipfile.ZipFile(io.BytesIO(rebuilt)) as archive:
        assert not any(b"INCLUDETEXT" in archive.read(entry) for entry in archive.namelist())
        assert name.lstrip("/") not in archive.namelist()


def test_a_footnote_in_the_text_is_refused():
    document = Document()
    document.add_paragraph(TAGS)
    body = document.element.body
    body.insert(len(body) - 1, _paragraph('<w:r><w:footnoteReference w:id="1"/></w:r>'))
    text = _refused(_save(document))
    assert "word/document.xml" in text and "脚注" in text, text
