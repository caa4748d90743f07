"""50 simulated users against `make serve` (loopback only; see loadtest/run.sh, which bounds the
run to 60 s): clerks listing and creating records, leaders on the dashboard, one legal officer
downloading the annual report."""

import datetime
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ["LOADTEST_PASSWORD"]
REPORT_ID = os.environ["LOADTEST_REPORT_ID"]
YEAR = datetime.date.today().year
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Logged(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        page = self.client.get("/login/", name="登录页")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/login/", {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="登录", allow_redirects=False,
        )  # fmt: skip
        if response.status_code != 302:
            response.failure(f"登录失败：{response.status_code}")


class Clerk(Logged):
    weight = 40
    wait_time = between(1, 3)
    username = "load_clerk"

    @task(4)
    def list_violations(self):
        self.client.get(f"/ledgers/violations/?year={YEAR}&page={random.randint(1, 50)}", name="违法查处列表")

    @task(2)
    def list_filtered(self):
        self.client.get(
            f"/ledgers/violations/?year={YEAR - 1}&method=现场&o=-occurred_at", name="违法查处筛选"
        )

    @task(1)
    def add_training(self):
        form = self.client.get("/ledgers/training/new/", name="新增培训表单")
        token = CSRF.search(form.text).group(1)
        day = datetime.date.today() - datetime.timedelta(days=random.randint(0, 200))
        with self.client.post("/ledgers/training/new/", {
            "csrfmiddlewaretoken": token, "date": day.isoformat(), "name": "压力测试培训", "kind": "全警培训",
            "mode": "线下", "attendees": "30", "hours": "2", "content": "",
        }, name="新增培训保存", allow_redirects=False, catch_response=True) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"保存失败：{response.status_code}")


class Leader(Logged):
    weight = 9
    wait_time = between(1, 3)
    username = "load_leader"

    @task(4)
    def dashboard(self):
        self.client.get("/", name="驾驶舱")

    @task(1)
    def last_year(self):
        self.client.get(f"/?year={YEAR - 1}", name="驾驶舱（上年）")


class Officer(Logged):
    weight = 1
    fixed_count = 1
    wait_time = between(2, 4)
    username = "load_legal"

    @task
    def download(self):
        self.client.get(f"/reports/{REPORT_ID}/download/", name="下载年度报告")
