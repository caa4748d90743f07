"""What the leader who signs the report and the operator who prints it see (docs/page-format.md):
the 红头 always there, the inline （一）…。 headings of 三 and 四 in 楷体, and a draft marked 草稿 on
every page while a finalised report's stored bytes stay as they were signed."""

import datetime
import io
import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from reports import docx as report_docx
from reports import services
from reports.docx import inline_heading_end, mark_draft, render_report, sample_context
from reports.docx_template import INLINE_HEADING_STYLE

NAME = "双牌县公安局交通警察大队"
WHEN = datetime.datetime(2026, 1, 12, 10, 32)
DRAFT_LINE = "草稿 · 未签发 · 生成于2026年1月12日 10:32"
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _render(template: bytes | None = None, **changes) -> bytes:
    return render_report(sample_context() | changes, template)


def _template(*texts: str) -> bytes:
    document = Document()
    for text in texts:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _style_value(style, get):
    """A style's own value, else its base style's, … (None when no style in the chain sets it)."""
    while style is not None:
        value = get(style.element.rPr)
        if value is not None:
            return value
        style = style.base_style
    return None


def _east_asia_of(rpr):
    fonts = None if rpr is None else rpr.rFonts
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def _size_of(rpr):
    size = None if rpr is None else rpr.sz_val
    return None if size is None else size.pt


def _effective(document, paragraph, run, get):
    """What Word shows for a run: its own formatting, its character style, its paragraph's style,
    the document defaults."""
    for value in (
        get(run._r.rPr),
        _style_value(run.style, get) if run._r.rPr is not None and run._r.rPr.rStyle is not None else None,
        _style_value(paragraph.style, get),
    ):
        if value is not None:
            return value
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    return get(defaults)


def _fonts_of_runs(document, paragraph) -> list[tuple[str, str, float]]:
    """(text, East Asian font, size in pt) of each run of a paragraph."""
    return [
        (
            run.text,
            _effective(document, paragraph, run, _east_asia_of),
            _effective(document, paragraph, run, _size_of),
        )
        for run in paragraph.runs
        if run.text
    ]


# --------------------------------------------------------------------------- 1. the 红头


def _head(document):
    mark = [p for p in document.paragraphs if p.style.name == "发文机关标志"]
    line = [p for p in document.paragraphs if p.style.name == "发文字号"]
    return mark, line


@pytest.mark.parametrize(
    ("doc_number", "signer", "line_text"),
    [
        ("双公交〔2026〕3号", "张建国", "\t双公交〔2026〕3号\t签发人：张建国"),
        ("双公交〔2026〕3号", "", "\t双公交〔2026〕3号\t"),
        ("", "张建国", "\t\t签发人：张建国"),
        ("", "", ""),  # no 代字, not yet signed: the head is there all the same
    ],
)
def test_the_head_is_always_there_with_the_number_and_signer_only_when_they_have_values(
    doc_number, signer, line_text
):
    document = _open(_render(doc_number=doc_number, signer=signer))
    [mark], [line] = _head(document)
    assert mark.text == f"{NAME}文件"
    style = mark.style
    assert style.font.color.rgb is not None and str(style.font.color.rgb) == "FF0000"
    assert style.element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert style.font.size.pt == 36
    # The number and 签发人 line, and under it the red rule the width of the text block.
    assert line.text == line_text
    border = line.style.element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert (border.get(qn("w:val")), border.get(qn("w:color"))) == ("single", "FF0000")
    assert line.paragraph_format.left_indent is None and line.paragraph_format.right_indent is None
    # The title follows the rule.
    order = [p.style.name for p in document.paragraphs[:3]]
    assert order == ["发文机关标志", "发文字号", "报告标题"]
    assert ("签发人" in line.text) == bool(signer)


def test_the_mark_is_narrowed_to_fit_one_line_of_the_text_block():
    text_width_pt = 156 / 25.4 * 72

    def fitted(name: str):
        [mark], _ = _head(_open(_render(brigade={"name": name, "short_name": "某大队"})))
        [run] = mark.runs
        w = run._r.rPr.find(qn("w:w")) if run._r.rPr is not None else None
        scale = int(w.get(qn("w:val"))) if w is not None else 100
        size = run.font.size.pt if run.font.size else mark.style.font.size.pt
        return mark.text, scale, size

    # 12 characters of 36 pt (432 pt) fit as they are.
    assert fitted("某县公安局交通警察") == ("某县公安局交通警察文件", 100, 36)
    # 14 (504 pt): narrowed.
    text, scale, size = fitted(NAME)
    assert text == f"{NAME}文件" and size == 36 and scale == 87
    assert len(text) * size * scale / 100 <= text_width_pt
    # A very long name: half width is the least, the size comes down instead.
    text, scale, size = fitted("中共淄博市公安局交通警察支队淄川大队总支部委员会")
    assert scale == 50 and size < 36
    assert len(text) * size * scale / 100 <= text_width_pt


def test_a_brigade_template_is_left_as_it_was():
    """An uploaded template has its own head (or none): the software adds no 红头 to it."""
    data = _template(
        "{{ title }}", "{%p if doc_number %}", "{{ doc_number }}", "{%p endif %}", "{{ sections|length }}"
    )
    assert report_docx.check_template(data) == []
    texts = [p.text for p in _open(_render(data, doc_number="")).paragraphs]
    assert texts == [sample_context()["title"], "4"]


def test_a_report_of_a_brigade_without_a_daizi_has_the_head(brigade, legal):
    assert not brigade.doc_prefix
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    assert report.doc_number == "" and report.signer == ""
    document = _open(services.report_render(report)[0])
    [mark], [line] = _head(document)
    assert mark.text == f"{brigade.name}文件" and line.text == ""


# --------------------------------------------------------------------------- 2. 楷体 inline headings


def test_the_points_of_parts_three_and_four_open_with_a_kaiti_heading():
    document = _open(_render())
    context = sample_context()
    points = context["sections"][2]["paragraphs"] + context["sections"][3]["paragraphs"]
    assert len(points) == 5
    for text in points:
        [paragraph] = [p for p in document.paragraphs if p.text == text]
        heading, rest = text[: text.index("。") + 1], text[text.index("。") + 1 :]
        assert _fonts_of_runs(document, paragraph) == [
            (heading, "楷体_GB2312", 16),
            (rest, "仿宋_GB2312", 16),
        ]
        assert paragraph.style.name in ("报告正文", "正文末段")  # 正文末段: the body's last paragraph
        assert paragraph.runs[0].style.name == "段内小标题"  # a style: editing in Word keeps it
    style = document.styles["段内小标题"]
    assert style.style_id == INLINE_HEADING_STYLE
    assert style.element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312" and style.font.size.pt == 16
    assert not style.font.bold
    # Only the headings: the other body paragraphs are one 仿宋 run, as before.
    opening = next(p for p in document.paragraphs if p.text == context["opening"])
    assert _fonts_of_runs(document, opening) == [(context["opening"], "仿宋_GB2312", 16)]


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("（一）执法队伍建设需要进一步加强。目前在职民警30人。", "（一）执法队伍建设需要进一步加强。"),
        ("（十）其他。正文。还有一句。", "（十）其他。"),
        ("（三）只有一个标题", "（三）只有一个标题"),  # a heading on its own line
        ("（二）" + "很长的一段没有句号的文字，" * 5, ""),  # not a heading: left alone
        ("一是执法规范化水平仍需提高（一）。", ""),
        ("（1）仿宋的第四层。", ""),
        ("1.仿宋的第三层。", ""),
    ],
)
def test_what_counts_as_an_inline_heading(text, heading):
    assert text[: inline_heading_end(text)] == heading


def test_inline_headings_anywhere_in_the_body_and_in_a_brigades_template():
    """Wherever a paragraph opens with （一）…（十）: also in 一、二 and in an uploaded template,
    where without the style the run gets 楷体_GB2312 itself and keeps its own size."""
    context = sample_context()
    context["sections"][0]["paragraphs"] = ["（一）学法培训常态化。全年组织集中学法24次。"]
    context["opening"] = "开头段（一）不是段首，不变。"
    document = _open(render_report(context))
    [paragraph] = [p for p in document.paragraphs if p.text.startswith("（一）学法培训常态化")]
    assert [font for _, font, _ in _fonts_of_runs(document, paragraph)] == ["楷体_GB2312", "仿宋_GB2312"]
    assert len(next(p for p in document.paragraphs if p.text == context["opening"]).runs) == 1

    upload = Document()
    upload.add_paragraph("{{ title }}{{ sections|length }}")
    run = upload.add_paragraph().add_run("{{ opening }}")
    run.font.size = Pt(14)
    run.font.bold = True
    out = io.BytesIO()
    upload.save(out)
    text = "（二）执法监督仍需加强。抽查执法记录仪信息2370条。"
    rendered = _open(render_report(sample_context() | {"opening": text}, out.getvalue()))
    [paragraph] = [p for p in rendered.paragraphs if p.text == text]
    lead, rest = paragraph.runs
    assert (lead.text, rest.text) == ("（二）执法监督仍需加强。", "抽查执法记录仪信息2370条。")
    assert lead._r.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    assert _east_asia_of(rest._r.rPr) is None
    for part in (lead, rest):  # the template's own formatting stays on both halves
        assert part.font.size.pt == 14 and part.font.bold


def test_a_heading_split_over_runs_and_lines_keeps_every_character():
    document = Document()
    paragraph = document.add_paragraph()
    for piece in ("（一）执法", "队伍\t建设。后", "面的正文"):
        paragraph.add_run(piece)
    paragraph.runs[1]._r.append(paragraph.runs[1]._r.makeelement(qn("w:br"), {}))
    before = paragraph.text
    report_docx._set_inline_headings(document)
    assert paragraph.text == before
    kai = [run.text for run in paragraph.runs if _east_asia_of(run._r.rPr) == "楷体_GB2312"]
    assert "".join(kai) == "（一）执法队伍\t建设。"


def test_three_and_four_as_the_officer_wrote_them_come_out_in_kaiti(brigade, legal):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    points = {
        "3": "（一）执法队伍建设需要进一步加强。目前在职民警30人。\n（二）台账录入的规范性仍需加强。部分台账未随办随录。",
        "4": "（一）加强执法队伍建设。配齐配强法制员。",
    }
    for key, body in points.items():
        section = report.sections.get(key=key)
        section.body = body
        section.save()
    document = _open(services.report_render(report)[0])
    for body in points.values():
        for text in body.splitlines():
            [paragraph] = [p for p in document.paragraphs if p.text == text]
            heading = text[: text.index("。") + 1]
            assert _fonts_of_runs(document, paragraph)[0] == (heading, "楷体_GB2312", 16)
            assert _fonts_of_runs(document, paragraph)[1][1] == "仿宋_GB2312"


# --------------------------------------------------------------------------- 3. 草稿


def _header_parts(document):
    return [part for part in document.part.package.iter_parts() if part.partname.startswith("/word/header")]


def _draft_marks(data: bytes) -> list[str]:
    """The draft lines and watermarks in a document's headers."""
    found = []
    for part in _header_parts(_open(data)):
        xml = part.blob.decode()
        found += [line for line in (DRAFT_LINE, "草稿 · 未签发") if line in xml][:1]
        found += ['string="草稿"'] if 'string="草稿"' in xml else []
    return found


def test_a_draft_says_so_on_every_page_odd_and_even():
    final = _render()
    draft = mark_draft(final, generated_at=WHEN)
    document = _open(draft)
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for header in (section.header, section.even_page_header):
        assert not header.is_linked_to_previous
        first = header.paragraphs[0]
        assert first.text == DRAFT_LINE
        assert first.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
        xml = header._element.xml
        assert 'string="草稿"' in xml and "rotation:315" in xml  # the diagonal watermark
    assert document.core_properties.content_status == "草稿"
    # The body is the same document; nothing but the page numbers is a field.
    assert [p.text for p in document.paragraphs] == [p.text for p in _open(final).paragraphs]
    assert report_docx._rendered_problems(draft) == []
    # Shape ids are unique across the headers (Word drops a shape whose id repeats), also when the
    # document had shapes already (here: marked twice).
    assert len(_shape_ids(draft)) == len(set(_shape_ids(draft))) == 2
    twice = _shape_ids(mark_draft(draft, generated_at=WHEN))
    assert len(twice) == len(set(twice)) == 4


def _shape_ids(data: bytes) -> list[str]:
    return [
        spid
        for part in _header_parts(_open(data))
        for spid in re.findall(r'o:spid="([^"]+)"', part.blob.decode())
    ]


def test_the_rendered_report_itself_carries_no_draft_mark():
    """render_report is what finalising stores: never marked."""
    data = _render()
    document = _open(data)
    assert _draft_marks(data) == []
    assert "草稿" not in "".join(part.blob.decode() for part in _header_parts(document))
    assert document.core_properties.content_status != "草稿"


def test_the_mark_goes_into_a_brigades_own_headers_first_page_and_sections():
    upload = Document()
    upload.add_paragraph("{{ title }}{{ sections|length }}")
    section = upload.sections[0]
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = "内部红头"
    section.first_page_header.paragraphs[0].text = "首页页眉"
    upload.add_section()  # the second section carries on the first one's headers
    upload.add_paragraph("第二节")
    third = upload.add_section()
    third.header.is_linked_to_previous = False
    third.header.paragraphs[0].text = "第三节页眉"
    out = io.BytesIO()
    upload.save(out)

    document = _open(mark_draft(_render(out.getvalue()), generated_at=WHEN))
    first, second, third = document.sections
    assert [p.text for p in first.header.paragraphs] == [DRAFT_LINE, "内部红头"]
    assert [p.text for p in first.first_page_header.paragraphs] == [DRAFT_LINE, "首页页眉"]
    assert second.header.is_linked_to_previous  # inherits the marked one
    assert [p.text for p in third.header.paragraphs] == [DRAFT_LINE, "第三节页眉"]


@pytest.fixture
def finalised(brigade, legal, leader):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    return services.report_finalise(report=report, user=leader)


def test_a_finalised_report_is_its_stored_bytes_without_the_mark(finalised):
    stored = bytes(finalised.final_docx)
    assert _draft_marks(stored) == []
    assert _open(stored).core_properties.content_status != "草稿"
    assert services.report_document(finalised) == stored  # byte for byte
    # Marking is a function of the bytes it is given: it never reaches the stored ones.
    mark_draft(stored, generated_at=WHEN)
    finalised.refresh_from_db()
    assert bytes(finalised.final_docx) == stored


def test_a_drafts_download_is_marked(brigade, legal):
    report = services.report_create(brigade=brigade, year=2025, user=legal)
    assert _draft_marks(services.report_document(report))


# --------------------------------------------------------------------------- the printed pages


def _pdf_pages(data: bytes, tmp_path, dpi=40) -> list[tuple[int, int, bytes]]:
    """Each page of the document as (width, height, RGB bytes), through LibreOffice and pdftoppm."""
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(report_docx.docx_to_pdf(data))
    subprocess.run(["pdftoppm", "-r", str(dpi), str(pdf), str(tmp_path / "p")], check=True)
    pages = []
    for path in sorted(tmp_path.glob("p-*.ppm")):
        raw = path.read_bytes()
        fields = raw.split(maxsplit=4)  # P6, width, height, 255, pixels
        width, height = int(fields[1]), int(fields[2])
        pages.append((width, height, fields[4][-width * height * 3 :]))
        path.unlink()
    return pages


def _red_rows(page) -> list[tuple[int, int, int]]:
    """Each row of a page: how many pixels are red, the leftmost and the rightmost (-1 without)."""
    width, height, pixels = page
    rows = []
    for y in range(height):
        row = pixels[y * width * 3 : (y + 1) * width * 3]
        red = [
            x // 3 for x in range(0, len(row), 3) if row[x] > 180 and row[x + 1] < 110 and row[x + 2] < 110
        ]
        rows.append((len(red), red[0], red[-1]) if red else (0, -1, -1))
    return rows


def _light_grey(page) -> int:
    width, height, pixels = page
    return sum(
        1
        for i in range(0, len(pixels), 3)
        if 180 < pixels[i] < 245 and abs(pixels[i] - pixels[i + 1]) < 8 and abs(pixels[i] - pixels[i + 2]) < 8
    )


@needs_soffice
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler (pdftoppm) is not installed")
def test_printed_the_head_is_red_with_its_rule_and_a_draft_shows_its_mark(tmp_path):
    final = _render(doc_number="", signer="")
    draft = mark_draft(final, generated_at=WHEN)
    final_pages, draft_pages = _pdf_pages(final, tmp_path), _pdf_pages(draft, tmp_path)
    assert len(final_pages) == len(draft_pages) >= 2

    width = final_pages[0][0]
    left, block = 28 / 210 * width, 156 / 210 * width  # the text block, in pixels
    rows = _red_rows(final_pages[0])
    rule = [y for y, (n, _, _) in enumerate(rows) if n >= 0.9 * block]
    mark = [y for y, (n, _, _) in enumerate(rows) if 0 < n < 0.9 * block]
    assert rule and mark, "the red mark and the red rule are printed on the first page"
    assert max(mark) < min(rule)
    # The mark is one line (36 pt is 20 px at 40 dpi), across most of the text block and not past it.
    assert max(mark) - min(mark) < 30
    start, end = min(rows[y][1] for y in mark), max(rows[y][2] for y in mark)
    assert left - 2 <= start and end <= left + block + 2 and end - start > 0.8 * block
    assert all(max(n for n, _, _ in _red_rows(page)) == 0 for page in final_pages[1:])  # red only in the head

    # The watermark: a large light grey 草稿 on every page of the draft, none on the final's.
    for final_page, draft_page in zip(final_pages, draft_pages, strict=True):
        assert _light_grey(draft_page) > _light_grey(final_page) + 5000

    text = subprocess.run(
        ["pdftotext", "-", "-"], input=report_docx.docx_to_pdf(draft), capture_output=True, check=True
    ).stdout.decode()
    assert text.replace(" ", "").count(DRAFT_LINE.replace(" ", "")) == len(
        draft_pages
    )  # pdftotext spaces digits
