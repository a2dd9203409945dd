"""Service-map nodes that are a callee seen by its callers (`X_client`, `X_remote`) are folded
into the callee: one suspect, with the callers' view as client-side evidence."""

from __future__ import annotations

from aiops.analytics.ranking import rank_candidates
from aiops.analytics.views import view_owners
from aiops.domain import Finding

ONSET = 600.0


def latency(service: str, score: float, ratio: float) -> Finding:
    return Finding(kind="metric", service=service, signal="latency_p95_seconds", score=score,
                   summary=f"latency_p95_seconds of {service}", onset=ONSET, direction=1, magnitude=ratio,
                   tags=("latency",))


SERVICES = ["Site", "Search_client", "Search_AWS::ECS::Fargate", "Listing_AWS::ECS::Fargate",
            "Db_remote", "Db_Database::SQL", "amazon.com_remote", "Step_client", "Step", "Step_AWS::Lambda"]


def test_a_view_belongs_to_the_one_node_of_its_base_name() -> None:
    owners = view_owners(SERVICES)
    assert owners == {"Search_client": "Search_AWS::ECS::Fargate", "Db_remote": "Db_Database::SQL"}, \
        "amazon.com_remote has no service of its own; Step_client matches two nodes: ambiguous, kept"
    assert view_owners(SERVICES, traced={"Search_client"}) == {"Db_remote": "Db_Database::SQL"}, \
        "a traced service is a service"



def test_a_load_balancer_named_by_abbreviation_is_the_view_of_the_one_service_it_abbreviates() -> None:
    services = ["PetSite", "PetSearch_AWS::ECS::Fargate", "payforadoption_AWS::ECS::Container",
                "adoptions@services-database.us-west-2.rds.amazonaws.com_Database::SQL",
                "https://sqs.us-west-2.amazonaws.com/Services-sqspetadoption_AWS::SQS::Queue",
                "servi-searc.us-west-2.elb.amazonaws.com_remote", "servi-payfo.us-west-2.elb.amazonaws.com_remote",
                "servi-petsi.us-west-2.elb.amazonaws.com_remote", "execute-api.us-west-2.amazonaws.com_remote",
                "www.amazon.com_remote", "169.254.170.2_remote", "payfo-searc-lb_remote"]
    assert view_owners(services) == {
        "servi-searc.us-west-2.elb.amazonaws.com_remote": "PetSearch_AWS::ECS::Fargate",
        "servi-payfo.us-west-2.elb.amazonaws.com_remote": "payforadoption_AWS::ECS::Container",
        "servi-petsi.us-west-2.elb.amazonaws.com_remote": "PetSite",
    }, ("'servi', 'west' and 'amazonaws' are in several names and say nothing; 'execute', 'amazon' and the "
        "address name none; a name abbreviating two services is ambiguous")

def test_the_callers_view_counts_for_the_callee_which_then_outranks_a_louder_bystander() -> None:
    findings = [latency("Search_client", 0.9, 8.0), latency("Search_AWS::ECS::Fargate", 0.5, 1.5),
                latency("Listing_AWS::ECS::Fargate", 0.7, 2.0), latency("amazon.com_remote", 0.3, 1.3)]
    out = rank_candidates(findings, SERVICES, {}, ONSET, alerted="Site")
    order = [c.service for c in out]
    assert order[0] == "Search_AWS::ECS::Fargate"
    assert "Search_client" not in order and "Db_remote" not in order and "amazon.com_remote" in order
    top = out[0]
    assert any(f.summary.startswith("seen by its callers as Search_client: ") and "client_side" in f.tags
               for _, f in top.findings)
