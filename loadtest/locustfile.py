"""50 simulated users against `make serve` (loopback only; see loadtest/run.sh, which bounds the
run to 60 s): clerks listing records and saving violations and trainings throughout (each save
makes this month's figures stale), leaders on the dashboard, one legal officer downloading the
annual report."""

import datetime
import os
import random
import re
from zoneinfo import ZoneInfo

from gevent.event import Event
from locust import HttpUser, between, task

PASSWORD = os.environ["LOADTEST_PASSWORD"]
REPORT_ID = os.environ["LOADTEST_REPORT_ID"]
BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = datetime.datetime.now(BEIJING).year
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TYPE_OPTION = re.compile(r'<select name="violation_type"[^>]*>.*?<option value="(\d+)"[^>]*>超速', re.S)


USERS = int(os.environ.get("LOADTEST_USERS", "50"))
# The figures are measured in steady work: once every user has logged in (50 password hashes at
# the same second queue everything behind them on two cores), the statistics start afresh; the
# login burst itself is printed before that.
logged_in = [0]
everyone_in = Event()


class Logged(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        page = self.client.get("/login/", name="登录页")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="登录",
            allow_redirects=False,
        )
        if response.status_code != 302:
            response.failure(f"登录失败：{response.status_code}")
        logged_in[0] += 1
        if logged_in[0] == USERS:
            login = self.environment.stats.get("登录", "POST")
            print(
                f"登录（{USERS} 人同时）：p50 {login.get_response_time_percentile(0.5):.0f} ms，"
                f"p95 {login.get_response_time_percentile(0.95):.0f} ms，失败 {login.num_failures}；"
                "以下统计自全部用户登录后开始",
                flush=True,
            )
            self.environment.stats.reset_all()
            everyone_in.set()
        everyone_in.wait(timeout=120)


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
        with self.client.post(
            "/ledgers/training/new/",
            {
                "csrfmiddlewaretoken": token,
                "date": day.isoformat(),
                "name": "压力测试培训",
                "kind": "全警培训",
                "mode": "线下",
                "attendees": "30",
                "hours": "2",
                "content": "",
            },
            name="新增培训保存",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"保存失败：{response.status_code}")

    @task(2)
    def add_violation(self):
        """A violation of today: the figures' current month changes while leaders watch it."""
        form = self.client.get("/ledgers/violations/new/", name="新增违法表单")
        token = CSRF.search(form.text).group(1)
        violation_type = TYPE_OPTION.search(form.text).group(1)
        now = datetime.datetime.now(BEIJING).replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
        with self.client.post(
            "/ledgers/violations/new/",
            {
                "csrfmiddlewaretoken": token,
                "decision_no": f"L{random.getrandbits(60):x}",
                "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
                "violation_type": violation_type,
                "method": "现场",
                "outcome": "罚款",
                "fine": "200",
                "points": "3",
                "location": "国道",
                "plate": "",
                "officer": "",
                "campaign": "",
            },
            name="新增违法保存",
            allow_redirects=False,
            catch_response=True,
        ) as response:
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
