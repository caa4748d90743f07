from django import forms

from reports.models import AnnualReport, ReportTemplate


class ReportHeadForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = [
            "title",
            "doc_number",
            "addressee",
            "issuer",
            "opening",
            "closing",
            "template",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "opening": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ReportTemplate.objects.filter(brigade=self.instance.brigade)
        self.fields["template"].empty_label = "系统默认模板（GB/T 9704）"


class TemplateUploadForm(forms.Form):
    name = forms.CharField(label="模板名称", max_length=100)
    file = forms.FileField(label="Word模板（.docx）")

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".docx"):
            raise forms.ValidationError("只能上传 .docx 格式的 Word 模板")
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("模板文件不能超过 10 MB")
        return upload


class WarningDismissForm(forms.Form):
    """Dismissing a data-check warning: which one, as the page showed it, and why."""

    warning = forms.CharField(widget=forms.HiddenInput, max_length=255)
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=100)
    reason = forms.CharField(
        label="忽略理由",
        max_length=500,
        error_messages={"required": "请填写忽略理由", "max_length": "忽略理由不能超过500个字"},
    )

    def clean_reason(self):
        from brigade import rules

        try:
            return rules.reason_text(self.cleaned_data["reason"], what="忽略理由")
        except forms.ValidationError as e:
            raise forms.ValidationError(e.messages[0])


class PublicEditionForm(forms.Form):
    """The 保密审查 checklist of the public edition: every item confirmed, and whether the
    internal head (发文字号, 签发人) stays in it."""

    keep_doc_number = forms.BooleanField(label="保留发文字号", required=False)
    keep_signer = forms.BooleanField(label="保留签发人", required=False)

    def __init__(self, *args, **kwargs):
        from reports.public import CHECKLIST

        super().__init__(*args, **kwargs)
        for key, label in CHECKLIST:
            self.fields[f"check_{key}"] = forms.BooleanField(
                label=label, required=True, error_messages={"required": f"请核对并勾选：{label}"}
            )

    def checks(self) -> list[str]:
        return [
            name.removeprefix("check_")
            for name, value in self.cleaned_data.items()
            if name.startswith("check_") and value
        ]
