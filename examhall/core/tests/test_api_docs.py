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


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_is_a_503_to_retry_not_a_500(client, settings):
    """SQLite allows one writer: a request that cannot get the lock in time is told to
    come back, clearly, and nothing half-written remains."""
    import sqlite3

    from django.db import connection

    from examhall.delivery.models import Attempt
    from examhall.devtools import factories

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single-writer lock")
    exam, subject, _session, _room, [(registration, id_number)] = factories.make_sitting()
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        response = client.post(
            f"/api/exams/{exam.code}/login",
            {"subject_code": subject.code, "ticket_number": registration.ticket_number,
             "id_number": id_number},
            content_type="application/json",
        )
    finally:
        holder.rollback()
        holder.close()
        connection.connection.execute("PRAGMA busy_timeout = 20000")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    error = response.json()["error"]
    assert error["code"] == "server_busy"
    assert "保留" in error["message"]
    assert not Attempt.objects.filter(registration=registration).exists()
