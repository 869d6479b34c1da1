import pytest


@pytest.mark.django_db
def test_openapi_schema_describes_the_candidate_api(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert "/api/exams/{exam_code}/login" in paths
    assert "/api/attempts/{attempt_id}/answers" in paths
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_unknown_exam_page_is_a_clear_404_not_a_500(client):
    response = client.get("/exam/no-such-exam/")
    assert response.status_code == 404
    assert "不存在" in response.content.decode()


@pytest.mark.django_db
def test_a_body_that_is_not_json_gets_a_clear_400(client):
    response = client.post("/api/exams/x/login", "not json", content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert "刷新" in error["message"]


@pytest.mark.django_db
def test_unknown_address_is_a_product_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
