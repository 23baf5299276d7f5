from tests.conftest import PASSWORD


def test_login_page_is_thai_first(client):
    page = client.get("/login").get_data(as_text=True)
    assert "เข้าสู่ระบบ" in page


def test_wrong_password_is_refused_with_a_message(client, world):
    response = client.post("/login", data={"email": world.admin.email, "password": "nope"})
    assert response.status_code == 401
    assert "รหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)


def test_login_is_case_insensitive_on_email(client, world):
    response = client.post("/login", data={"email": world.admin.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
