from django.urls import reverse

from brigade.models import User
from tests.conftest import login


def test_admin_changes_a_users_role_and_the_permissions_follow(admin_user, clerk):
    client = login(admin_user)
    url = reverse("admin:brigade_user_change", args=[clerk.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "username": clerk.username, "first_name": "", "last_name": "", "email": "",
        "brigade": clerk.brigade_id, "role": "leader", "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=clerk.pk)
    assert [g.name for g in user.groups.all()] == ["领导"]
    assert not user.has_perm("brigade.add_training") and user.has_perm("brigade.view_training")


def test_only_admins_reach_the_admin(as_legal, as_clerk):
    assert as_legal.get("/admin/").status_code == 302  # to the admin login: not staff
    assert as_clerk.get("/admin/brigade/user/").status_code == 302


def test_ledger_records_are_read_only_in_the_admin(admin_user, brigade):
    from mediation.models import PoliceCall

    call = PoliceCall.objects.create(
        brigade=brigade, received_at="2025-01-01T08:00+08:00", category="其他", follow_up="满意"
    )
    client = login(admin_user)
    assert client.get(reverse("admin:mediation_policecall_change", args=[call.pk])).status_code == 200  # view
    client.post(reverse("admin:mediation_policecall_change", args=[call.pk]), {"category": "交通拥堵"})
    call.refresh_from_db()
    assert call.category == "其他"
    assert client.get(reverse("admin:mediation_policecall_add")).status_code == 403
