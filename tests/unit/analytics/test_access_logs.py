"""Access logs are recognised by their structure (a method and a status, with a path or a
duration), in the common formats the simulator does not write: an access log at error level
blames a failed request (a call), not the emitter's own code."""

from __future__ import annotations

import pytest

from aiops.analytics.blame import ErrorOrigin, is_access_log

SERVICES = ["frontend", "checkout", "payment"]

ACCESS_LOGS = {
    "combined log format": '10.0.0.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 502 2326 '
                           '"http://example.com/start.html" "Mozilla/4.08"',
    "combined, as a template": '<*> - - [<*>] "PUT /api/v1/cart/<*> HTTP/1.1" <*> <*> "-" "<*>"',
    "envoy text": '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 503 UF 154 0 226 100 "10.0.35.28" '
                  '"nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"',
    "nginx json": '{"time_local":"06/Dec/2024:10:00:00 +0000","remote_addr":"10.1.2.3","request_method":"GET",'
                  '"request_uri":"/cart?id=3","status":502,"request_time":0.231,"upstream_response_time":"0.230"}',
    "envoy json": '{"start_time":"2024-12-06T10:00:00.000Z","method":"POST","path":"/checkout","protocol":"HTTP/1.1",'
                  '"response_code":503,"response_flags":"UF","duration":12,"upstream_host":"10.0.0.9:8080"}',
    "logfmt": "ts=2024-12-06T10:00:00Z level=error method=POST path=/api/pay status=502 duration=1.2s",
    "logfmt, OTel names": "http.request.method=GET url.path=/api/v1/orders http.response.status_code=500 duration_ms=31",
    "plain": "GET /api/v1/orders 502 13ms",
}
NOT_ACCESS_LOGS = {
    "an exception": "java.lang.NullPointerException at c.e.PaymentServiceImpl.charge",
    "a client error naming a path": 'HttpServerErrorException: 500 : [{"path":"/api/v1/orderservice/orders"}]',
    "a status that is not HTTP's": "payment declined paymentMethod=card status=declined",
    "a verb in prose": "POST to the ledger failed after 3 retries",
    "a status without a request": "upstream responded status=503",
}


@pytest.mark.parametrize("name", list(ACCESS_LOGS))
def test_access_logs_are_recognised_by_structure_in_common_formats(name):
    assert is_access_log(ACCESS_LOGS[name])


@pytest.mark.parametrize("name", list(NOT_ACCESS_LOGS))
def test_other_lines_are_not_access_logs(name):
    assert not is_access_log(NOT_ACCESS_LOGS[name])


@pytest.mark.parametrize("name", list(ACCESS_LOGS))
def test_an_access_log_at_error_level_is_a_failed_call_not_the_emitters_own_failure(name):
    # none of these says refused, timeout or a 5xx in the words the call-failure rule knows
    text = ACCESS_LOGS[name].replace("502", "500").replace("503", "500")
    assert ErrorOrigin(SERVICES).origin(text, "frontend") == "call"
