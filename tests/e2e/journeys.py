"""Steps the browser journeys share: the demo accounts' password, logging in and out."""

DEMO_PASSWORD = "chunan-demo"


def log_in(page, username, password=DEMO_PASSWORD):
    page.goto("/accounts/login/")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    form.locator("button[type='submit']").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
