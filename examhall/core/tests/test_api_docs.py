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
