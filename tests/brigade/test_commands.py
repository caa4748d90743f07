import io

import pytest
from django.core.management import CommandError, call_command

from brigade.models import Brigade, Training, User
from tests.conftest import make_xlsx


def run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command(*args, stdout=out, stderr=err)
    finally:
        if stdin is not None:
            sys.stdin = old
    return out.getvalue(), err.getvalue()


def test_add_brigade_is_idempotent(db):
    run("add_brigade", "zd", "--name", "某市公安局交通警察支队")
    run("add_brigade", "sp", "--name", "双牌县公安局交通警察大队", "--short", "双牌大队", "--parent", "zd")
    out, _ = run("add_brigade", "sp", "--name", "双牌县公安局交通警察大队", "--superior", "中共双牌县委")
    assert "已更新" in out
    sp = Brigade.objects.get(code="sp")
    assert Brigade.objects.count() == 2
    assert (sp.short_name, sp.superior, sp.parent.code) == ("双牌大队", "中共双牌县委", "zd")


def test_add_brigade_with_unknown_parent_fails(db):
    with pytest.raises(CommandError, match="没有代码为 nope 的上级支队"):
        run("add_brigade", "x", "--name", "某大队", "--parent", "nope")


def test_add_user_is_idempotent_and_sets_role_and_password(brigade):
    run("add_user", "wang", "--brigade", "a", "--role", "clerk", stdin="Str0ng-Pass!\n")
    run("add_user", "wang", "--brigade", "a", "--role", "legal", "--password-stdin", stdin="Str0ng-Pass!\n")
    user = User.objects.get(username="wang")
    assert User.objects.filter(username="wang").count() == 1
    assert user.role == "legal" and [g.name for g in user.groups.all()] == ["法制员"]
    assert user.has_perm("brigade.restore_record")
    assert user.check_password("Str0ng-Pass!")


def test_add_user_rejects_a_weak_password(brigade):
    with pytest.raises(CommandError, match="密码不符合要求"):
        run("add_user", "li", "--brigade", "a", "--role", "clerk", "--password-stdin", stdin="123\n")


def test_import_ledger_cli_dry_run_import_and_errors(brigade, tmp_path):
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]
    good = tmp_path / "good.xlsx"
    good.write_bytes(
        make_xlsx([header, ["2025-01-02", "全警培训", "全警培训", "线下", 80, 3, ""]]).getvalue()
    )
    out, _ = run("import_ledger", "training", str(good), "--brigade", "a", "--dry-run")
    assert "检查通过" in out and not Training.objects.exists()
    out, _ = run("import_ledger", "training", str(good), "--brigade", "a")
    assert "新增1" in out and Training.objects.count() == 1
    history = Training.history.get()
    assert history.history_user is None and "命令行导入（操作系统用户 " in history.history_change_reason


def test_import_ledger_cli_writes_as_the_user_named_by_by(brigade, clerk, tmp_path):
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]
    good = tmp_path / "good.xlsx"
    good.write_bytes(
        make_xlsx([header, ["2025-01-02", "全警培训", "全警培训", "线下", 80, 3, ""]]).getvalue()
    )
    with pytest.raises(CommandError, match="没有用户名为 nobody 的用户"):
        run("import_ledger", "training", str(good), "--brigade", "a", "--by", "nobody")
    assert not Training.objects.exists()
    run("import_ledger", "training", str(good), "--brigade", "a", "--by", clerk.username)
    history = Training.history.get()
    assert history.history_user == clerk and f"用户 {clerk.username}" in history.history_change_reason

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        make_xlsx([header, ["2025-01-03", "全警培训", "全警培训", "线下", "八十", 3, ""]]).getvalue()
    )
    with pytest.raises(CommandError, match="没有写入任何记录"):
        run("import_ledger", "training", str(bad), "--brigade", "a")


def test_import_ledger_cli_prints_row_errors(brigade, tmp_path, capsys):
    header = ["日期", "名称", "类型", "形式", "参加人数", "学时", "学习内容"]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        make_xlsx([header, ["2025-01-03", "全警培训", "全警培训", "线下", "八十", 3, ""]]).getvalue()
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_ledger", "training", str(bad), "--brigade", "a", stderr=err)
    assert "第2行「参加人数」列：「八十」不是整数" in err.getvalue()


def test_import_ledger_list_names_every_kind(db):
    out, _ = run("import_ledger", "--list")
    for kind in ("training", "meetings", "regulations", "officers"):
        assert kind in out
    assert "警号*" in out


def test_export_ledger_cli_round_trip(brigade, tmp_path):
    Training.objects.create(
        brigade=brigade, date="2024-06-01", name="旧年培训", kind="全警培训", mode="线下", attendees=9
    )
    Training.objects.create(
        brigade=brigade, date="2025-06-01", name="今年培训", kind="全警培训", mode="线下", attendees=9
    )
    path = tmp_path / "out.xlsx"
    out, _ = run("export_ledger", "training", str(path), "--brigade", "a", "--year", "2025")
    assert "已导出 1 条" in out
    out, _ = run("import_ledger", "training", str(path), "--brigade", "a")
    assert "未变化1" in out and Training.objects.count() == 2


def test_add_user_asks_for_the_name_a_leader_signs_with(brigade):
    out, _ = run("add_user", "boss", "--brigade", "a", "--role", "leader", stdin="Str0ng-Pass!\n")
    assert "签发人：boss" in out and "--name" in out
    out, _ = run("add_user", "boss", "--brigade", "a", "--role", "leader", "--name", "王立新")
    assert "签发人" not in out and User.objects.get(username="boss").get_full_name() == "王立新"
