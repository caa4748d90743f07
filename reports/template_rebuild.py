"""An uploaded Word template, rebuilt from the parts and elements a report template needs.

A .docx is a zip of parts tied together by relationships; Word and LibreOffice act on far more of
them than a report needs: a ``w:altChunk`` pulls in a whole other document (Word, RTF, HTML, MHT)
with its own links and fields; OLE objects, ActiveX controls and macros run code; an image,
a hyperlink or an attached template may point outside the file, and LibreOffice fetches it while
it makes the PDF; fields (INCLUDEPICTURE, INCLUDETEXT, DDEAUTO…) fetch files or start programs.
Checking what an upload holds means foreseeing every such construct; so the upload is not
checked and kept, it is rebuilt: ``rebuild(data)`` makes a new package of

- the main document, its styles, numbering, font table, settings and theme, the headers and
  footers its sections name, and the images these parts show (PNG, JPEG, GIF, BMP, TIFF, EMF,
  WMF, recognised by their content), under new part names;
- ``[Content_Types].xml`` and every relationship regenerated, for these parts only, and an empty
  ``docProps/core.xml``;

and refuses (``TemplateRefused``, in Chinese, naming the part and the element or field):

- any relationship to something outside the file, anywhere (images, hyperlinks, an attached
  template, a mail-merge source): a report template needs none. Hyperlinks too: an official
  document's link could read one address and go to another, and the text can stay as text;
- altChunk, embedded packages and OLE objects, ActiveX controls, macros (``vbaProject``),
  sub-documents, charts, SmartArt, media, customXml data bindings, footnotes and endnotes (docxtpl
  renders their text, which the upload check would not see), and any other relationship not
  listed above;
- any field but the page numbers (PAGE, NUMPAGES, SECTIONPAGES), in ``w:fldSimple`` and in the
  complex ``w:fldChar``/``w:instrText`` form alike, nested fields each on their own; field data;
  a complex field's code holding anything but ``w:instrText`` (Word and LibreOffice read all the
  text from the begin mark to the separate mark as the code: a ``w:t`` there reading
  ``INCLUDETEXT …`` next to an instrText reading ``PAGE`` makes an INCLUDETEXT field); a field
  inside a simple field; marks that do not pair (a field never ended); a field mark
  (``w:fldChar``, ``w:instrText``, ``w:delInstrText``) anywhere but directly in a run (``w:r``) of
  a paragraph: Word and LibreOffice skip a mark in a run's properties (``w:rPr``) and read the
  text after it as the code of a field the checker would not see; a markup-compatibility block
  (``mc:AlternateContent``) holding a field;
- an attribute naming a URL or a network path (``src``, ``href`` and the like); a DTD.

Markup compatibility is resolved before anything is checked: each ``mc:AlternateContent`` is
replaced by its ``mc:Fallback`` content (nothing when it has none), so what is checked is what
Word and LibreOffice read of the rebuilt package, whatever namespaces its ``mc:Choice`` requires.
Elements of namespaces this module does not know are dropped before the checks too. A run's
properties keep only run properties, a field mark only its form-field data: whatever else a
``w:rPr`` or a ``w:fldChar`` holds is dropped.

What Word keeps for itself and the report does not show is dropped without a word: document
properties, web settings, the Word 2010 copy of the styles, comments and their anchors, the
customXml data stores (a bibliography), people, the glossary, thumbnails, printer settings,
embedded fonts, the SVG copy of an image (its PNG stays), a web video's player (``wp15:webVideoPr``,
an iframe's address: its poster picture stays), elements of namespaces this module does not know
(WPS's custom data; LibreOffice ignores them too).

The checks of ``reports.docx`` (fields, outside links, Jinja) then run on the rebuilt package, and
only the rebuilt package is stored. Rebuilding a rebuilt package gives the same bytes.

This runs in a child process bounded by the operating system (``reports.bounded``); the counting
caps here (parts, sizes) are fast first checks."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

# --------------------------------------------------------------------------- names

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
VML = "urn:schemas-microsoft-com:vml"
OFFICE = "urn:schemas-microsoft-com:office:office"
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
SVG_BLIP = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
WP15 = "http://schemas.microsoft.com/office/word/2012/wordprocessingDrawing"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
STRICT = "http://purl.oclc.org/ooxml/"

_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_CT = {
    "document": f"{_WML}.document.main+xml",
    "styles": f"{_WML}.styles+xml",
    "numbering": f"{_WML}.numbering+xml",
    "fontTable": f"{_WML}.fontTable+xml",
    "settings": f"{_WML}.settings+xml",
    "header": f"{_WML}.header+xml",
    "footer": f"{_WML}.footer+xml",
    "theme": "application/vnd.openxmlformats-officedocument.theme+xml",
}
_ROOT = {  # the root element each kind of part must have
    "document": f"{{{W}}}document",
    "styles": f"{{{W}}}styles",
    "numbering": f"{{{W}}}numbering",
    "fontTable": f"{{{W}}}fonts",
    "settings": f"{{{W}}}settings",
    "header": f"{{{W}}}hdr",
    "footer": f"{{{W}}}ftr",
    "theme": f"{{{DRAWING}}}theme",
}
_ONE_OF_A_KIND = ("styles", "numbering", "fontTable", "settings", "theme")
# What each kind of part may relate to (and keep): the rest is dropped or refused.
_KEEP = {
    "document": {"styles", "numbering", "fontTable", "settings", "theme", "header", "footer", "image"},
    "header": {"image"},
    "footer": {"image"},
    "numbering": {"image"},  # picture bullets
    "theme": {"image"},
    "styles": set(),
    "settings": set(),
    "fontTable": set(),
}
# Word's own bookkeeping, not shown in the report: left out of the rebuilt package.
_DROPPED = {
    "webSettings", "stylesWithEffects", "customXml", "customXmlProps", "comments", "commentsExtended",
    "commentsIds", "commentsExtensible", "people", "glossaryDocument", "footnotes", "endnotes", "font",
    "printerSettings", "keyMapCustomizations", "metadata/thumbnail", "metadata/core-properties",
    "extended-properties", "custom-properties", "bibliography",
}  # fmt: skip
# What a relationship of these types would bring in, as the refusal names it.
_REFUSED_TYPES = {
    "aFChunk": "外部文档块（altChunk，可嵌入另一个 Word、RTF、HTML 或 MHT 文件）",
    "oleObject": "嵌入或链接的对象（OLE）",
    "package": "嵌入的文件包（另一个 Office 文件）",
    "control": "ActiveX 控件",
    "activeXControlBinary": "ActiveX 控件",
    "vbaProject": "宏（VBA 工程）",
    "wordVbaData": "宏（VBA 数据）",
    "attachedToolbars": "宏工具栏",
    "subDocument": "子文档",
    "attachedTemplate": "附加模板",
    "mailMergeSource": "邮件合并数据源",
    "mailMergeHeaderSource": "邮件合并数据源",
    "recipientData": "邮件合并收件人数据",
    "frame": "网页框架",
    "transform": "XSLT 转换",
    "hyperlink": "超链接",
    "chart": "图表",
    "diagramData": "SmartArt 图形",
    "video": "视频",
    "audio": "音频",
    "media": "媒体文件",
}
# Elements refused wherever they are, by (namespace, local name); None: in any namespace.
_REFUSED_ELEMENTS = {
    (W, "altChunk"): "外部文档块（altChunk）",
    (W, "object"): "嵌入的对象（OLE）",
    (OFFICE, "OLEObject"): "嵌入的对象（OLE）",
    (W, "control"): "ActiveX 控件",
    (W, "subDoc"): "子文档",
    (None, "dataBinding"): "数据绑定（customXml）",
    (W, "fldData"): "域数据",
    (W, "mailMerge"): "邮件合并",
    (W, "footnoteReference"): "脚注",
    (W, "endnoteReference"): "尾注",
}
# Elements left out: anchors of the comments that are dropped, embedded fonts, footnote and
# endnote separators (settings), the SVG copy of a picture.
_DROPPED_ELEMENTS = {
    (W, "commentRangeStart"), (W, "commentRangeEnd"), (W, "commentReference"),
    (W, "embedRegular"), (W, "embedBold"), (W, "embedItalic"), (W, "embedBoldItalic"),
    (W, "embedTrueTypeFonts"), (W, "embedSystemFonts"), (W, "saveSubsetFonts"),
    (W, "footnote"), (W, "endnote"), (SVG_BLIP, "svgBlip"), (WP15, "webVideoPr"),
}  # fmt: skip
# Dropped elements that sit alone in an a:ext of an a:extLst: the ext goes with them.
_ALONE_IN_EXT = {SVG_BLIP, WP15}
# Namespaces whose elements are kept; elements of any other are dropped.
_KNOWN_NAMESPACES = (
    W,
    MC,
    VML,
    OFFICE,
    "urn:schemas-microsoft-com:office:word",
    "http://schemas.openxmlformats.org/drawingml/2006/",
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://schemas.microsoft.com/office/word/",
    "http://schemas.microsoft.com/office/drawing/",
    "http://schemas.microsoft.com/office/thememl/",
)
# Relationship-id attributes (r:*) that may name an internal part; r:link names a linked picture.
_REFERENCE_ATTRIBUTES = {"id", "embed", "pict", "dm", "lo", "qs", "cs", "href", "link"}
# Attributes that may hold a URL or a path; only the VML source notes (o:href) are dropped.
_URL_ATTRIBUTES = {"src", "href", "althref", "action", "filename", "connectstring", "query", "embeddedhtml"}

PAGE_FIELDS = ("PAGE", "NUMPAGES", "SECTIONPAGES")
# A page-number field and its formatting switches: PAGE \* MERGEFORMAT, NUMPAGES \* Arabic …
_PAGE_FIELD = re.compile(
    r'\s*(?:PAGE|NUMPAGES|SECTIONPAGES)(?:\s+\\[*#@!]\s*(?:"[^"]*"|[^\s\\"]+)?)*\s*', re.I
)
_OUTSIDE_FIELDS = {"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "DDE", "DDEAUTO", "LINK", "IMPORT", "HYPERLINK",
                   "DATABASE", "MERGEFIELD", "AUTOTEXT", "AUTOTEXTLIST", "MACROBUTTON", "GOTOBUTTON", "REF",
                   "DOCPROPERTY", "INCLUDEDOC", "USERADDRESS"}  # fmt: skip

# Images by their first bytes: (extension, content type).
_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
    (b"BM", "bmp", "image/bmp"),
    (b"II*\x00", "tiff", "image/tiff"),
    (b"MM\x00*", "tiff", "image/tiff"),
    (b"\xd7\xcd\xc6\x9a", "wmf", "image/x-wmf"),
    (b"\x01\x00\x09\x00", "wmf", "image/x-wmf"),
    (b"\x02\x00\x09\x00", "wmf", "image/x-wmf"),
)

# --------------------------------------------------------------------------- counting caps

MAX_ENTRIES = 2_000  # zip entries (a Word document has some 20)
MAX_UNPACKED = 50 << 20  # the whole package unpacked
MAX_XML_PART = 20 << 20  # one XML part unpacked (a report template's document.xml: tens of kB)
MAX_IMAGE = 20 << 20
MAX_HEADERS = 60  # headers and footers: three of each per section

_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's time: the same upload rebuilds to the same bytes


class TemplateRefused(Exception):
    """The template cannot be used; ``problems`` (Chinese) say why, the message is the first."""

    def __init__(self, *problems: str):
        super().__init__(problems[0] if problems else "模板无法使用。")
        self.problems = list(problems) or [str(self)]


def out_of_memory(exc: BaseException | None) -> bool:
    """Whether an exception (or one it came from) is an allocation that failed: a MemoryError,
    or libxml2's, which lxml reports as a syntax error ("unknown error")."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        if isinstance(exc, etree.Error):
            text = str(exc)
            if "Memory allocation failed" in text or text.startswith("unknown error"):
                return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _shown(name: str, limit: int = 80) -> str:
    """A name or address from the upload as a message may quote it: printable, cut short."""
    text = re.sub(r"[\x00-\x1f\x7f]", "?", str(name))
    return text if len(text) <= limit else text[:limit] + "…"


def _kind(reltype: str) -> str:
    """The short name of a relationship type: …/relationships/image → image."""
    return reltype.rsplit("/relationships/", 1)[-1] if "/relationships/" in reltype else reltype


def _qname(element) -> str:
    prefix = element.prefix
    local = etree.QName(element).localname
    return f"{prefix}:{local}" if prefix else local


# --------------------------------------------------------------------------- the package


class _Package:
    """The upload's zip, read with caps: parts by name (OPC names ignore case)."""

    def __init__(self, data: bytes):
        if not data:
            raise TemplateRefused("上传的文件是空的。")
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise TemplateRefused("这是旧版 Word（.doc）文件，请在 Word 中“另存为”.docx 格式后再上传。")
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise TemplateRefused("上传的文件不是有效的 Word（.docx）文件。") from None
        if len(infos) > MAX_ENTRIES:
            raise TemplateRefused(f"上传的 Word 文件含有 {len(infos)} 个部件，不像是报告模板，已拒绝。")
        if sum(info.file_size for info in infos) > MAX_UNPACKED:
            raise TemplateRefused("上传的 Word 文件解压后过大，不像是报告模板。")
        self.parts: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename.lstrip("/").lower()
            if name in self.parts:
                # Two entries of one name: one program would read the one, another the other.
                raise TemplateRefused(
                    f"Word 文件中有两个同名的部件“{_shown(info.filename)}”，文件已损坏或是恶意构造的，已拒绝。"
                )
            self.parts[name] = info
        if "word/document.xml" not in self.parts and not self._main_named():
            raise TemplateRefused("上传的文件不是有效的 Word（.docx）文件：缺少正文部分 word/document.xml。")

    def _main_named(self) -> bool:
        return "_rels/.rels" in self.parts

    def has(self, name: str) -> bool:
        return name.lower() in self.parts

    def read(self, name: str, limit: int) -> bytes:
        info = self.parts[name.lower()]
        if info.file_size > limit:
            raise TemplateRefused(
                f"Word 文件的部件 {_shown(name)} 过大（解压后超过 {limit >> 20} MB），不像是报告模板。"
            )
        if info.flag_bits & 0x1:
            raise TemplateRefused("Word 文件已加密，请在 Word 中取消密码后再上传。")
        try:
            with self.archive.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raise TemplateRefused(f"Word 文件的部件 {_shown(name)} 已损坏，无法读取。") from None
        if len(data) > limit:
            raise TemplateRefused(f"Word 文件的部件 {_shown(name)} 过大，不像是报告模板。")
        return data

    def xml(self, name: str):
        data = self.read(name, MAX_XML_PART)
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as e:
            if out_of_memory(e):
                raise MemoryError from e
            raise TemplateRefused(
                f"Word 文件无法读取：部件 {_shown(name)} 不是有效的 XML，请在 Word 中重新保存为 .docx 后再上传。"
            ) from None
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise TemplateRefused(f"Word 文件的部件 {_shown(name)} 含有文档类型定义（DTD），已拒绝。")
        return root

    def rels(self, source: str) -> list[tuple[str, str, str, bool]]:
        """(id, type, target, external) of a part's relationships; the target resolved to a part
        name for an internal one."""
        folder, base = posixpath.split(source)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(name):
            return []
        out = []
        for rel in self.xml(name):
            if etree.QName(rel).localname != "Relationship":
                continue
            rid, reltype, target = rel.get("Id", ""), rel.get("Type", ""), rel.get("Target", "")
            if reltype.startswith(STRICT):
                raise TemplateRefused(
                    "这是“严格 Open XML”格式的 Word 文件，请在 Word 中“另存为”普通的“Word 文档（.docx）”后再上传。"
                )
            external = rel.get("TargetMode", "") == "External"
            if not external:
                target = target.split("#", 1)[0]
                joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                resolved = posixpath.normpath(joined)
                if resolved.startswith("../") or resolved in (".", ".."):
                    external, resolved = True, target  # outside the package: as good as outside the file
                target = resolved
            out.append((rid, reltype, target, external))
        return out


# --------------------------------------------------------------------------- rebuilding


class _Rebuild:
    def __init__(self, package: _Package):
        self.package = package
        self.problems: list[str] = []
        self.dropped: list[str] = []
        self.out: dict[str, bytes] = {}  # new part name → bytes
        self.types: dict[str, str] = {}  # new part name → content type
        self.rels: dict[str, list[tuple[str, str, str]]] = {}  # new part name → (id, type, target)
        self.done: dict[str, str] = {}  # source part name (lower) → new part name
        self.counts: dict[str, int] = {}

    def refuse(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def new_name(self, kind: str, extension: str = "xml") -> str:
        if kind == "document":
            return "word/document.xml"
        if kind == "theme":
            return "word/theme/theme1.xml"
        if kind in _ONE_OF_A_KIND:
            return f"word/{kind}.xml"
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "image":
            return f"word/media/image{self.counts[kind]}.{extension}"
        return f"word/{kind}{self.counts[kind]}.xml"

    # ── a part and what it relates to ───────────────────────────────────────────────────────

    def part(self, source: str, kind: str) -> str | None:
        """The new name of ``source`` rebuilt as a part of ``kind`` (None when refused)."""
        key = source.lower()
        if key in self.done:
            return self.done[key]
        if not self.package.has(source):
            self.refuse(f"Word 文件缺少部件 {_shown(source)}，文件已损坏，请在 Word 中重新保存后再上传。")
            return None
        if kind == "image":
            return self.image(source)
        if kind in _ONE_OF_A_KIND and any(name.startswith(f"word/{kind}") for name in self.out):
            self.refuse(f"Word 文件中有不止一个 {kind} 部件，文件已损坏或是恶意构造的。")
            return None
        if kind in ("header", "footer") and self.counts.get(kind, 0) >= MAX_HEADERS:
            self.refuse(f"Word 文件中的页眉页脚过多（超过 {MAX_HEADERS} 个），不像是报告模板。")
            return None
        root = self.package.xml(source)
        if root.tag != _ROOT[kind]:
            self.refuse(f"Word 文件的部件 {_shown(source)} 不是它应有的类型，文件已损坏或是恶意构造的。")
            return None
        name = self.new_name(kind)
        self.done[key] = name

        kept: dict[str, tuple[str, str]] = {}  # id → (type, source part) of what this part may use
        refused: set[str] = set()  # ids of relationships already refused (their elements need no word)
        structural = []
        for rid, reltype, target, external in self.package.rels(source):
            short = _kind(reltype)
            if external:
                refused.add(rid)
                what = {"image": "图片"}.get(short) or _REFUSED_TYPES.get(short, "外部内容")
                self.refuse(
                    f"模板的 {_shown(source)} 链接了外部地址“{_shown(target)}”（{what}），已拒绝："
                    "报告模板不能链接文件以外的任何内容，请删除该链接（超链接可保留文字）后再上传。"
                )
            elif short in _KEEP[kind]:
                kept[rid] = (short, target)
                if short not in ("image", "header", "footer"):
                    structural.append((rid, short, target))
            elif short in _DROPPED:
                self.dropped.append(target)
            elif short in _REFUSED_TYPES:
                refused.add(rid)
                self.refuse(
                    f"模板的 {_shown(source)} 含有{_REFUSED_TYPES[short]}（部件 {_shown(target)}），"
                    "报告模板不允许含有这类内容，已拒绝。"
                )
            else:
                refused.add(rid)
                self.refuse(
                    f"模板的 {_shown(source)} 含有报告模板不支持的内容（{_shown(short, 40)}：{_shown(target)}），已拒绝。"
                )

        used = self.elements(root, source, kind, kept, refused)
        rels = []
        for rid, short, target in structural:
            new = self.part(target, short)
            if new:
                rels.append((rid, short, new))
        for rid in used:
            short, target = kept[rid]
            if short in ("image", "header", "footer"):
                new = self.part(target, short)
                if new:
                    rels.append((rid, short, new))
        self.out[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        self.types[name] = _CT[kind]
        self.rels[name] = rels
        return name

    def image(self, source: str) -> str | None:
        data = self.package.read(source, MAX_IMAGE)
        found = image_type(data)
        if found is None:
            what = "SVG 图片" if b"<svg" in data[:2048].lower() else "无法识别的图片"
            self.refuse(
                f"模板中的图片 {_shown(source)} 是{what}，报告模板只接受 PNG、JPEG、GIF、BMP、TIFF、EMF、WMF 图片，"
                "请在 Word 中重新插入图片后再上传。"
            )
            return None
        extension, content_type = found
        name = self.new_name("image", extension)
        self.done[source.lower()] = name
        self.out[name] = data
        self.types[name] = content_type
        return name

    # ── the elements of one XML part ────────────────────────────────────────────────────────

    def elements(self, root, source: str, kind: str, kept: dict, refused: set) -> list[str]:
        """Checks and trims ``root`` in place; returns the relationship ids its elements use."""
        used: list[str] = []
        remove = []
        self.compatibility(root, source)
        fields = Fields()
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            fields.see(element)
            qname = etree.QName(element)
            namespace, local = qname.namespace or "", qname.localname
            if (namespace, local) in _DROPPED_ELEMENTS or not _run_property(element):
                remove.append(element)
                continue
            what = _REFUSED_ELEMENTS.get((namespace, local)) or _REFUSED_ELEMENTS.get((None, local))
            if what:
                self.refuse(
                    f"模板的 {_shown(source)} 含有{what}（{_qname(element)} 元素），报告模板不允许含有这类内容，已拒绝。"
                )
                continue
            self.attributes(element, source, kept, refused, used)
        for problem in [*filter(None, map(field_problem, fields.all)), *fields.problems]:
            self.refuse(f"模板的 {_shown(source)} {problem}")
        for element in remove:
            parent = element.getparent()
            if parent is None:
                continue
            # The SVG copy (a web video's player) sits alone in an a:ext of the picture's
            # a:extLst: the ext goes too.
            if (
                etree.QName(element).namespace in _ALONE_IN_EXT
                and etree.QName(parent).localname == "ext"
                and len(parent) == 1
            ):
                element, parent = parent, parent.getparent()
            parent.remove(element)
        return used

    def compatibility(self, root, source: str) -> None:
        """Resolves markup compatibility in place, before anything is checked, as the rebuilt
        package is to be read: each ``mc:AlternateContent`` becomes its ``mc:Fallback``'s content
        (nothing without one), whatever its ``mc:Choice`` requires; one holding a field is refused
        (Word reads one branch, LibreOffice perhaps another: a field mark in either could pair with
        marks outside). Then the elements of namespaces this module does not know are dropped,
        with all they hold: what the checks read is what is stored."""
        for block in list(root.iter(_ALTERNATE_CONTENT)):
            parent = block.getparent()
            if parent is None:
                continue
            marks = next(block.iter(*_FIELD_TAGS), None)
            if marks is not None:
                self.refuse(
                    f"模板的 {_shown(source)} 中有一处兼容性替换内容（mc:AlternateContent 元素）含有域"
                    f"（{_qname(marks)} 元素）：Word 和 LibreOffice 只读取其中的一种写法，检查无法确定读到的是哪个域，"
                    "已拒绝。请在 Word 中删除该处内容（如带形状的页码），用“插入 → 页码”重新插入普通页码后再上传。"
                )
                parent.remove(block)
                continue
            fallback = block.find(_FALLBACK)
            index = parent.index(block)
            parent[index : index + 1] = list(fallback) if fallback is not None else []
        for element in list(root.iter()):
            if not isinstance(element.tag, str):
                continue
            namespace = etree.QName(element).namespace or ""
            if namespace == MC or not namespace.startswith(_KNOWN_NAMESPACES):
                parent = element.getparent()
                if parent is not None:
                    parent.remove(element)

    def attributes(self, element, source: str, kept: dict, refused: set, used: list[str]) -> None:
        for attribute, value in list(element.attrib.items()):
            qname = etree.QName(attribute)
            namespace, local = qname.namespace, qname.localname
            if namespace == R:
                if not value or value in refused:
                    continue  # r:id="" on a:hlinkClick: no link; or what it names is refused already
                if local not in _REFERENCE_ATTRIBUTES or local == "link":
                    self.refuse(
                        f"模板的 {_shown(source)} 中 {_qname(element)} 元素链接了图片或文件（r:{local}），"
                        "报告模板只能含有嵌入的图片，已拒绝。"
                    )
                elif value not in kept:
                    self.refuse(
                        f"模板的 {_shown(source)} 中 {_qname(element)} 元素引用的内容（{_shown(value, 40)}）"
                        "不是报告模板允许的页眉、页脚或图片，已拒绝。"
                    )
                elif value not in used:
                    used.append(value)
            elif namespace == OFFICE and local in ("href", "althref"):
                del element.attrib[attribute]  # where Word found a pasted picture: a note, not a link
            elif value and local.lower() in _URL_ATTRIBUTES:
                self.refuse(
                    f"模板的 {_shown(source)} 中 {_qname(element)} 元素的 {local} 指向“{_shown(value)}”，"
                    "报告模板不能链接文件以外的内容，已拒绝。"
                )


def _run_property(element) -> bool:
    """Whether ``element`` may stay where it is as far as run properties go: in a ``w:rPr`` only
    run properties, in those (Word's own w:rPrChange aside, which holds the former w:rPr)
    nothing; in a field mark (``w:fldChar``) only its form-field data."""
    parent = element.getparent()
    if parent is None:
        return True
    if parent.tag == _FLD_CHAR:
        return element.tag in _IN_FLD_CHAR
    if parent.tag == _RPR:
        return element.tag in _RUN_PROPERTIES or etree.QName(element).namespace == W14
    if parent.tag == _RPR_CHANGE:
        return element.tag == _RPR
    grandparent = parent.getparent()
    return not (grandparent is not None and grandparent.tag == _RPR and parent.tag in _RUN_PROPERTIES)


def _where_read(mark) -> bool:
    """Whether Word and LibreOffice read a field mark where it is: directly in a run (``w:r``) of a
    paragraph, not in a run's properties nor in anything else."""
    run = mark.getparent()
    if run is None or run.tag != _RUN:
        return False
    holder = run.getparent()
    if holder is None or holder.tag not in _RUN_HOLDERS:
        return False
    return next(holder.iterancestors(*_NOT_READ_INSIDE), None) is None


def image_type(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) of an image by its first bytes, or None."""
    for magic, extension, content_type in _IMAGES:
        if data.startswith(magic):
            return extension, content_type
    if data[40:44] == b" EMF":
        return "emf", "image/x-emf"
    return None


_FIELD_CHARACTERS = {  # text-bearing run content, as the characters a field code would read
    "t": None, "delText": None, "tab": "\t", "ptab": "\t", "br": "\n", "cr": "\n",
    "noBreakHyphen": "-", "softHyphen": "", "sym": "?",
}  # fmt: skip
_FOUND = {  # what a refusal calls an element found in a field's code
    "t": "文字", "delText": "删除的修订文字", "tab": "制表符", "ptab": "制表符", "br": "换行符", "cr": "换行符",
    "noBreakHyphen": "连字符", "softHyphen": "连字符", "sym": "符号", "p": "分段", "pPr": "分段",
    "fldSimple": "另一个域", "fldChar": "嵌套的另一个域", "drawing": "图片", "pict": "图片",
    "hyperlink": "超链接", "ins": "修订", "del": "修订", "sdt": "内容控件", "smartTag": "智能标记",
    "tbl": "表格", "tc": "表格", "tr": "表格",
}  # fmt: skip
# What a complex field's code (from its begin to its separate mark) may hold besides its
# instrText: the runs that carry it, their properties (and what is inside those), the marks
# Word leaves there. Anything else is refused: Word and LibreOffice read every text between the
# begin and the separate mark as the code, not only the instrText.
_IN_FIELD_CODE = {
    f"{{{W}}}{name}"
    for name in (
        "r",
        "rPr",
        "fldChar",
        "instrText",
        "delInstrText",
        "proofErr",
        "bookmarkStart",
        "bookmarkEnd",
        "lastRenderedPageBreak",
        "commentRangeStart",
        "commentRangeEnd",
        "commentReference",
    )
}
_FLD_CHAR, _FLD_SIMPLE, _RPR = f"{{{W}}}fldChar", f"{{{W}}}fldSimple", f"{{{W}}}rPr"
_INSTR = {f"{{{W}}}instrText", f"{{{W}}}delInstrText"}
_MARKS = {_FLD_CHAR, *_INSTR}
_FIELD_TAGS = (*_MARKS, _FLD_SIMPLE)
_RUN, _RPR_CHANGE = f"{{{W}}}r", f"{{{W}}}rPrChange"
_IN_FLD_CHAR = {f"{{{W}}}ffData", f"{{{W}}}fldData", f"{{{W}}}numberingChange"}
_ALTERNATE_CONTENT, _FALLBACK = f"{{{MC}}}AlternateContent", f"{{{MC}}}Fallback"
# Where Word and LibreOffice read the runs that carry field marks: paragraphs and what holds runs
# inside them (hyperlinks, revisions, content controls, simple fields, ruby text).
_RUN_HOLDERS = {
    f"{{{W}}}{name}"
    for name in (
        "p", "hyperlink", "ins", "del", "moveFrom", "moveTo", "smartTag", "customXml", "sdtContent",
        "fldSimple", "bdo", "dir", "rt", "rubyBase",
    )
}  # fmt: skip
# Where a field mark is never read, whatever its parent: a run's properties, a field mark,
# markup compatibility (resolved by the rebuild; seen here only in a package not rebuilt).
_NOT_READ_INSIDE = (
    _RPR, _FLD_CHAR, *_INSTR, _ALTERNATE_CONTENT, f"{{{MC}}}Choice", _FALLBACK,
)  # fmt: skip
# What a run's properties (w:rPr) hold (ECMA-376 CT_RPr, CT_ParaRPr's revision marks, Word
# 2010's text effects): anything else there is skipped by Word and LibreOffice, and dropped.
_RUN_PROPERTIES = {
    f"{{{W}}}{name}"
    for name in (
        "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
        "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing",
        "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
        "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange",
        "ins", "del", "moveFrom", "moveTo",
    )
}  # fmt: skip
MAX_FIELD_PROBLEMS = 10


class _Field:
    """A complex field from its begin mark: its code's pieces until the separate mark."""

    __slots__ = ("pieces", "separated", "spoiled")

    def __init__(self):
        self.pieces: list[str] = []
        self.separated = False
        self.spoiled = False


class Fields:
    """Field instructions as Word and LibreOffice read them, and what is wrong with a part's
    fields. Fed every element of a part in document order (``see``):

    - a simple field's ``w:instr``; its content is its shown result, where no other field may be;
    - a complex field's code: everything from its begin mark to its separate mark (or its end
      mark when there is none), ``w:instrText`` and any text alike, each nested field apart;
      the code may hold nothing but ``w:instrText`` in runs (``_IN_FIELD_CODE``): the text of a
      ``w:t`` there would be read as code, a checker joining the ``instrText`` alone would not see it;
    - marks that do not pair: a field never ended, an end or separate mark with no field open.

    ``codes`` are the instructions, ``problems`` (Chinese, after the part's name) the rest."""

    def __init__(self):
        self.codes: list[str] = []
        self.problems: list[str] = []
        self.stack: list[_Field] = []

    def _problem(self, text: str) -> None:
        if text not in self.problems and len(self.problems) < MAX_FIELD_PROBLEMS:
            self.problems.append(text)

    def see(self, element) -> None:
        tag = element.tag
        if not isinstance(tag, str):
            return
        if tag in _MARKS and not _where_read(element):
            self._misplaced(element)
            return
        field = self.stack[-1] if self.stack else None
        if field is not None and not field.separated and tag not in _IN_FIELD_CODE:
            if next(element.iterancestors(_RPR, _FLD_CHAR), None) is None:
                self._foreign(field, element)
                return
        if tag == _FLD_SIMPLE:
            self.codes.append(element.get(f"{{{W}}}instr", ""))
            self._inside_simple(element)
        elif tag in _INSTR:
            self._inside_simple(element)
            if field is not None and not field.separated:
                field.pieces.append(element.text or "")
            else:  # outside any field's code: judged on its own
                self.codes.append(element.text or "")
        elif tag == _FLD_CHAR:
            self._inside_simple(element)
            self._mark(element.get(f"{{{W}}}fldCharType", ""), field)

    def _mark(self, mark: str, field: _Field | None) -> None:
        if mark == "begin":
            if field is not None and not field.separated:
                self._spoil(field, "嵌套的另一个域")
            self.stack.append(_Field())
        elif mark in ("separate", "end") and field is not None:
            if not field.separated:
                self.codes.append("".join(field.pieces))
            if mark == "end":
                self.stack.pop()
            elif field.separated:
                self._problem(
                    "中有一个域含有两个分隔标记（w:fldChar separate），文件已损坏或是恶意构造的，已拒绝。"
                )
            else:
                field.separated = True
        elif mark in ("separate", "end"):
            self._problem(
                f"中有多余的域{'结束' if mark == 'end' else '分隔'}标记（w:fldChar {mark}），前面没有对应的域开始标记，"
                "文件已损坏或是恶意构造的，已拒绝。请在 Word 中删除该处的页码或域后重新插入。"
            )
        else:
            self._problem(f"中有无法识别的域标记（w:fldChar “{_shown(mark, 20)}”），已拒绝。")

    def _misplaced(self, element) -> None:
        """A field mark where Word and LibreOffice do not read it (``_where_read``)."""
        parent = element.getparent()
        where = "" if parent is None else f"（在 {_qname(parent)} 元素里）"
        self._problem(
            f"中有一个域标记（{_qname(element)} 元素）不在文字块（w:r）中{where}：Word 和 LibreOffice 不读取"
            "放错位置的域标记，会把其后的文字当作域代码，而检查读到的是另一个域，文件已损坏或是恶意构造的，已拒绝。"
            "请在 Word 中删除该处的页码或域，再用“插入 → 页码”重新插入。"
        )

    def _foreign(self, field: _Field, element) -> None:
        """``element`` found in ``field``'s code, where only instrText may be."""
        local = etree.QName(element).localname
        if local in _FIELD_CHARACTERS and etree.QName(element).namespace == W:
            character = _FIELD_CHARACTERS[local]
            field.pieces.append(element.text or "" if character is None else character)
        if local == "fldSimple":  # its instruction is judged on its own too
            self.codes.append(element.get(f"{{{W}}}instr", ""))
        what = _FOUND.get(local, "其他内容")
        text = (element.text or "").strip() if local in ("t", "delText") else ""
        self._spoil(field, f"{what}“{_shown(text, 40)}”" if text else what, _qname(element))

    def _spoil(self, field: _Field, what: str, qname: str = "w:fldChar begin") -> None:
        if field.spoiled:
            return  # one word per field
        field.spoiled = True
        self._problem(
            f"中有一个域的域代码里夹着{what}（{qname} 元素）：Word 和 LibreOffice 会把域开始标记与分隔标记之间的"
            "全部内容都当作域代码，报告模板的域代码中只能有页码域（PAGE、NUMPAGES）的代码，已拒绝。"
            "请在 Word 中删除该域，再用“插入 → 页码”重新插入。"
        )

    def _inside_simple(self, element) -> None:
        if next(element.iterancestors(_FLD_SIMPLE), None) is not None:
            self._problem(
                f"中有一个简单域（w:fldSimple）里嵌着另一个域（{_qname(element)} 元素），"
                "报告模板的页码域中不能再有别的域，已拒绝。请在 Word 中删除该域后重新插入页码。"
            )

    def close(self) -> None:
        """The end of the part: a field still open was never ended."""
        while self.stack:
            field = self.stack.pop()
            if not field.separated:
                self.codes.append("".join(field.pieces))
            self._problem(
                "中有一个域没有结束标记（w:fldChar end），其后的内容都会被当作域的一部分，"
                "文件已损坏或是恶意构造的，已拒绝。请在 Word 中删除该域后重新插入。"
            )

    @property
    def all(self) -> list[str]:
        self.close()
        return self.codes


def field_name(code: str) -> str:
    return (code.split() or [""])[0].lstrip("=").upper()[:30]


def field_problem(code: str) -> str | None:
    """Why a field of this instruction may not be in a report, or None for a page number."""
    if _PAGE_FIELD.fullmatch(code):
        return None
    name = field_name(code)
    if not name:
        return "含有空白的域代码，报告模板只允许页码域（PAGE、NUMPAGES），请删除该域后再上传。"
    why = "（会引用外部文件、链接或运行程序）" if name in _OUTSIDE_FIELDS else ""
    return (
        f"含有 {_shown(name, 30)} 域{why}，报告模板只允许页码域（PAGE、NUMPAGES），"
        "请在 Word 中删除该域（可按 Ctrl+Shift+F9 转为普通文字）后再上传。"
    )


def rebuild(data: bytes) -> tuple[bytes, list[str]]:
    """The template rebuilt from what a report needs, and the names of the parts left out.
    Raises ``TemplateRefused`` (all the problems found) when it holds what a report may not."""
    package = _Package(data)
    for name, info in package.parts.items():
        if posixpath.basename(name).startswith("vbaproject") or name.endswith(".bin") and "vba" in name:
            raise TemplateRefused(
                f"模板含有宏（{_shown(info.filename)}），报告模板不允许含有宏，请另存为不含宏的 .docx 后再上传。"
            )
    rebuilt = _Rebuild(package)
    main = None
    for _rid, reltype, target, external in package.rels(""):
        if external:
            rebuilt.refuse(
                f"模板链接了外部地址“{_shown(target)}”，报告模板不能链接文件以外的任何内容，已拒绝。"
            )
        elif reltype == OFFICE_DOCUMENT:
            if main is not None:
                rebuilt.refuse("Word 文件中有两个正文部分，文件已损坏或是恶意构造的。")
            main = target
    if main is None:
        main = "word/document.xml" if package.has("word/document.xml") else None
    if main is None:
        raise TemplateRefused("上传的文件不是有效的 Word（.docx）文件：缺少正文部分 word/document.xml。")
    rebuilt.part(main, "document")
    if rebuilt.problems:
        raise TemplateRefused(*rebuilt.problems)
    return _write(rebuilt), rebuilt.dropped


def _write(rebuilt: _Rebuild) -> bytes:
    types = etree.Element(f"{{{CONTENT_TYPES}}}Types", nsmap={None: CONTENT_TYPES})
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
    for name, content_type in rebuilt.types.items():
        if not name.endswith(".xml"):
            defaults[name.rsplit(".", 1)[1]] = content_type
    for extension, content_type in sorted(defaults.items()):
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Default", Extension=extension, ContentType=content_type)
    overrides = {name: ct for name, ct in rebuilt.types.items() if name.endswith(".xml")}
    overrides["docProps/core.xml"] = "application/vnd.openxmlformats-package.core-properties+xml"
    for name, content_type in sorted(overrides.items()):
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Override", PartName=f"/{name}", ContentType=content_type)

    files = {
        "[Content_Types].xml": _xml(types),
        "_rels/.rels": _relationships(
            [("rId1", OFFICE_DOCUMENT, "word/document.xml"), ("rId2", CORE, "docProps/core.xml")]
        ),
        "docProps/core.xml": (
            b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
        ),
    }
    for name in sorted(rebuilt.out, key=lambda n: (n != "word/document.xml", n)):
        files[name] = rebuilt.out[name]
        rels = rebuilt.rels.get(name)
        if rels:
            folder, base = posixpath.split(name)
            files[posixpath.join(folder, "_rels", base + ".rels")] = _relationships(
                [
                    (
                        rid,
                        f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{short}",
                        posixpath.relpath(target, folder),
                    )
                    for rid, short, target in rels
                ]
            )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def _relationships(rels) -> bytes:
    root = etree.Element(f"{{{PKG_RELS}}}Relationships", nsmap={None: PKG_RELS})
    for rid, reltype, target in rels:
        etree.SubElement(root, f"{{{PKG_RELS}}}Relationship", Id=rid, Type=reltype, Target=target)
    return _xml(root)


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
