"""The systems the realistic profile imitates, as topology data, and their naming styles.

`system-a-like`: a TrainTicket-like system of 47 services (the simulator's trainticket plus
the admin, food, rebook, execute and delivery services a full deployment has).
`system-b-like`: a small Online-Boutique-like shop, 10 services and its Redis.
`petshop-like`: a pet-adoption app on managed cloud services, seen through CloudWatch-like
per-service metrics only.

Service names are rewritten per case (`ts-order-service`, `order-service`, `order`, ...), so
a ranker cannot lean on one naming convention.
"""

from __future__ import annotations

import copy
import re

import numpy as np

from aiops.simulator.topologies import TRAINTICKET

_A_EXTRA_SERVICES = {
    "ts-admin-basic-info-service": 2.5, "ts-admin-order-service": 4.0, "ts-admin-route-service": 3.0,
    "ts-admin-travel-service": 3.5, "ts-admin-user-service": 2.5, "ts-execute-service": 3.0,
    "ts-rebook-service": 6.0, "ts-food-delivery-service": 3.0, "ts-station-food-service": 2.5,
    "ts-train-food-service": 2.5, "ts-delivery-service": 2.0, "ts-preserve-other-service": 12.0,
}
_A_EXTRA_ENTRIES = {
    "ts-ui-dashboard:GET /api/v1/adminbasicservice/adminbasic/stations": 0.02,
    "ts-ui-dashboard:GET /api/v1/adminorderservice/adminorder": 0.02,
    "ts-ui-dashboard:GET /api/v1/adminrouteservice/adminroute": 0.015,
    "ts-ui-dashboard:GET /api/v1/admintravelservice/admintravel": 0.015,
    "ts-ui-dashboard:GET /api/v1/adminuserservice/users": 0.015,
    "ts-ui-dashboard:GET /api/v1/executeservice/execute/execute/{orderId}": 0.03,
    "ts-ui-dashboard:POST /api/v1/rebookservice/rebook": 0.03,
    "ts-ui-dashboard:POST /api/v1/fooddeliveryservice/orders": 0.02,
    "ts-ui-dashboard:POST /api/v1/preserveotherservice/preserveOther": 0.04,
}
_A_EXTRA_CALLS = {
    "ts-ui-dashboard:GET /api/v1/adminbasicservice/adminbasic/stations": ["ts-admin-basic-info-service:getAllStations"],
    "ts-ui-dashboard:GET /api/v1/adminorderservice/adminorder": ["ts-admin-order-service:getAllOrders"],
    "ts-ui-dashboard:GET /api/v1/adminrouteservice/adminroute": ["ts-admin-route-service:getAllRoutes"],
    "ts-ui-dashboard:GET /api/v1/admintravelservice/admintravel": ["ts-admin-travel-service:getAllTravels"],
    "ts-ui-dashboard:GET /api/v1/adminuserservice/users": ["ts-admin-user-service:getAllUsers"],
    "ts-ui-dashboard:GET /api/v1/executeservice/execute/execute/{orderId}": ["ts-execute-service:executeTicket"],
    "ts-ui-dashboard:POST /api/v1/rebookservice/rebook": ["ts-rebook-service:rebook"],
    "ts-ui-dashboard:POST /api/v1/fooddeliveryservice/orders": ["ts-food-delivery-service:createFoodDeliveryOrder"],
    "ts-ui-dashboard:POST /api/v1/preserveotherservice/preserveOther": ["ts-preserve-other-service:preserve"],
    "ts-admin-basic-info-service:getAllStations": ["ts-station-service:queryForNameBatch"],
    "ts-admin-order-service:getAllOrders": ["ts-order-service:getById",
                                            "ts-order-other-service:getOrderInfoForSecurity"],
    "ts-admin-route-service:getAllRoutes": ["ts-route-service:queryById"],
    "ts-admin-travel-service:getAllTravels": ["ts-travel-service:getRouteByTripId"],
    "ts-admin-user-service:getAllUsers": ["ts-user-service:findById"],
    "ts-execute-service:executeTicket": ["ts-order-service:getById", "ts-order-service:modifyOrder"],
    "ts-rebook-service:rebook": ["ts-order-service:getById", "ts-travel-service:getTripAllDetailInfo",
                                 "ts-order-service:modifyOrder"],
    "ts-food-delivery-service:createFoodDeliveryOrder": ["ts-station-food-service:listFoodStores",
                                                          "ts-delivery-service:createDelivery"],
    "ts-food-service:getAllFood": ["ts-travel-service:getRouteByTripId", "ts-station-service:queryForId",
                                   "ts-train-food-service:listTrainFood", "ts-station-food-service:listFoodStores"],
    "ts-station-food-service:listFoodStores": ["ts-station-mongo:find foodstore"],
    "ts-train-food-service:listTrainFood": ["ts-travel-mongo:find trainfood"],
    "ts-delivery-service:createDelivery": ["rabbitmq:publish delivery"],
    "ts-preserve-other-service:preserve": [
        "ts-security-service:check", "ts-contacts-service:getContactsById", "ts-travel2-service:queryInfo",
        "ts-seat-service:distributeSeat", "ts-order-other-service:create", "ts-user-service:findById",
        "ts-notification-service:preserveSuccess?"],
    "ts-order-other-service:create": ["ts-order-mongo:insert orderOther"],
}


def _system_a() -> dict:
    raw = copy.deepcopy(TRAINTICKET)
    raw.update(name="system-a", namespace="train-ticket", entry_rps=26,
               description="TrainTicket-like booking system, 47 services")
    for name, ms in _A_EXTRA_SERVICES.items():
        raw["services"][name] = {"kind": "app", "runtime": "java", "replicas": 1, "latency_ms": ms, "cpu_ms": 4.0}
    for name, spec in raw["services"].items():      # single replicas, as benchmark deployments run them
        spec["replicas"] = 1
    raw["entries"].update(_A_EXTRA_ENTRIES)
    raw["calls"].update(_A_EXTRA_CALLS)
    return raw


SYSTEM_B = {
    "name": "system-b",
    "description": "Online-Boutique-like shop: 10 gRPC services and a Redis cart store",
    "namespace": "boutique",
    "metric_style": "cadvisor",
    "entry_rps": 90,
    "timeouts": {"default": 2.0, "cache": 0.5, "entry": 10.0, "checkout": 5.0},
    "services": {
        "frontend": {"kind": "web", "runtime": "go", "replicas": 1, "latency_ms": 3.0, "cpu_ms": 2.0,
                     "cpu_limit": 2.0},
        "cart": {"kind": "app", "runtime": "dotnet", "replicas": 1, "latency_ms": 1.8, "cpu_ms": 1.2},
        "productcatalog": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 2.0, "cpu_ms": 1.0,
                           "cpu_limit": 2.0},
        "currency": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 1.2, "cpu_ms": 0.8,
                     "cpu_limit": 2.0},
        "payment": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 6.0},
        "shipping": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 2.5},
        "email": {"kind": "app", "runtime": "python", "replicas": 1, "latency_ms": 12.0},
        "checkout": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 5.0},
        "recommendation": {"kind": "app", "runtime": "python", "replicas": 1, "latency_ms": 9.0, "cpu_ms": 3.0,
                           "cpu_limit": 2.0},
        "ad": {"kind": "app", "runtime": "java", "replicas": 1, "latency_ms": 3.0, "cpu_ms": 1.5},
        "redis-cart": {"kind": "cache", "runtime": "redis", "replicas": 1, "latency_ms": 0.25},
    },
    "entries": {"frontend:GET /": 0.35, "frontend:GET /product/{id}": 0.35, "frontend:POST /cart": 0.1,
                "frontend:GET /cart": 0.1, "frontend:POST /cart/checkout": 0.05, "frontend:POST /setCurrency": 0.05},
    "calls": {
        "frontend:GET /": ["currency:GetSupportedCurrencies", "productcatalog:ListProducts", "cart:GetCart",
                           "currency:Convert*2", "ad:GetAds?"],
        "frontend:GET /product/{id}": ["productcatalog:GetProduct", "currency:GetSupportedCurrencies", "cart:GetCart",
                                       "currency:Convert", "recommendation:ListRecommendations?", "ad:GetAds?"],
        "frontend:POST /cart": ["productcatalog:GetProduct", "cart:AddItem"],
        "frontend:GET /cart": ["currency:GetSupportedCurrencies", "cart:GetCart", "shipping:GetQuote",
                               "currency:Convert*2", "recommendation:ListRecommendations?"],
        "frontend:POST /cart/checkout": ["checkout:PlaceOrder"],
        "frontend:POST /setCurrency": ["currency:GetSupportedCurrencies"],
        "cart:GetCart": ["redis-cart:HGETALL"],
        "cart:AddItem": ["redis-cart:HSET"],
        "cart:EmptyCart": ["redis-cart:DEL"],
        "recommendation:ListRecommendations": ["productcatalog:ListProducts"],
        "checkout:PlaceOrder": ["cart:GetCart", "productcatalog:GetProduct*2", "currency:Convert*2",
                                "shipping:GetQuote", "payment:Charge", "shipping:ShipOrder", "cart:EmptyCart",
                                "email:SendOrderConfirmation?"],
    },
    "op_latency": {"productcatalog:ListProducts": 2.0, "payment:Charge": 1.5, "shipping:ShipOrder": 1.6},
}

PETSHOP = {
    "name": "petshop",
    "description": "pet adoption site on managed services: web front, search, adoption and payment services",
    "namespace": "petshop",
    "metric_style": "cloudwatch",
    "entry_rps": 12,
    "timeouts": {"default": 5.0, "db": 5.0, "cache": 2.0, "queue": 2.0, "entry": 30.0},
    "services": {
        "petsite": {"kind": "web", "runtime": "dotnet", "replicas": 2, "latency_ms": 60.0, "cpu_ms": 8.0},
        "petsearch": {"kind": "app", "runtime": "java", "replicas": 2, "latency_ms": 90.0, "cpu_ms": 6.0},
        "payforadoption": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 70.0},
        "petlistadoptions": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 50.0},
        "petstatusupdater": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 120.0},
        "pricing": {"kind": "app", "runtime": "python", "replicas": 1, "latency_ms": 45.0},
        "petinfo-table": {"kind": "db", "runtime": "dynamodb", "replicas": 1, "latency_ms": 12.0},
        "adoptions-db": {"kind": "db", "runtime": "postgres", "replicas": 1, "latency_ms": 9.0},
        "adoption-queue": {"kind": "queue", "runtime": "sqs", "replicas": 1, "latency_ms": 15.0},
        "images": {"kind": "cache", "runtime": "s3", "replicas": 1, "latency_ms": 25.0},
    },
    "entries": {"petsite:GET /": 0.45, "petsite:GET /pethistory": 0.2, "petsite:POST /adoption": 0.15,
                "petsite:GET /petlistadoptions": 0.2},
    "calls": {
        "petsite:GET /": ["petsearch:search"],
        "petsite:GET /pethistory": ["petlistadoptions:list"],
        "petsite:POST /adoption": ["payforadoption:completeadoption", "petsearch:search"],
        "petsite:GET /petlistadoptions": ["petlistadoptions:list", "petsearch:search"],
        "petsearch:search": ["petinfo-table:Scan", "images:GetObject", "pricing:price?"],
        "payforadoption:completeadoption": ["adoptions-db:INSERT transactions", "adoption-queue:SendMessage",
                                           "petstatusupdater:update"],
        "petstatusupdater:update": ["petinfo-table:UpdateItem"],
        "petlistadoptions:list": ["adoptions-db:SELECT transactions", "petsearch:search"],
    },
}

RAW_SYSTEMS = {"system-a-like": _system_a, "system-b-like": lambda: copy.deepcopy(SYSTEM_B),
               "petshop-like": lambda: copy.deepcopy(PETSHOP)}

_AWS_SUFFIX = {"dotnet": "", "java": "_AWS::ECS::Fargate", "go": "_AWS::ECS::Container",
               "node": "_AWS::Lambda::Function", "python": "_AWS::Lambda", "dynamodb": "_AWS::DynamoDB::Table",
               "postgres": "_Database::SQL", "s3": "_AWS::S3", "sqs": "_AWS::SQS::Queue"}


def _core(name: str) -> str:
    """`ts-order-service` -> `order`; `frontend` stays."""
    m = re.fullmatch(r"(?:ts-)?(.+?)(?:-service)?", name)
    return m.group(1) if m else name


def name_style(raw: dict, rng: np.random.Generator) -> tuple[dict[str, str], str]:
    """A renaming of every service (k8s-safe names) and the style's label."""
    apps = [n for n, s in raw["services"].items() if s["kind"] in ("web", "app", "batch")]
    stores = [n for n in raw["services"] if n not in apps]
    style = str(rng.choice(["as-is", "bare", "dash-service", "joined-service", "prefixed"]))
    prefix = str(rng.choice(["app", "svc", "prod"]))

    def app(n: str) -> str:
        core = _core(n)
        return {"as-is": n, "bare": core, "dash-service": f"{core}-service", "joined-service":
                core.replace("-", "") + "service", "prefixed": f"{prefix}-{core}"}[style]

    def store(n: str) -> str:
        return n if style in ("as-is", "dash-service") else _core(n).replace("-service", "")

    mapping = {n: app(n) for n in apps} | {n: store(n) for n in stores}
    if len(set(mapping.values())) < len(mapping):      # a collision: keep the original names
        return {n: n for n in raw["services"]}, "as-is"
    return mapping, style


def aws_display_names(raw: dict, rng: np.random.Generator) -> dict[str, str]:
    """CloudWatch/X-Ray-like display names (`PetSearch_AWS::ECS::Fargate`) for a metrics-only export."""
    out = {}
    camel = rng.random() < 0.5
    for n, s in raw["services"].items():
        base = "".join(p.title() for p in n.split("-")) if camel else n
        out[n] = base + (_AWS_SUFFIX.get(s["runtime"], "") if rng.random() < 0.8 else "")
    if len(set(out.values())) < len(out):
        return {n: n for n in raw["services"]}
    return out


def rename_raw(raw: dict, mapping: dict[str, str]) -> dict:
    """The topology dict with every service name replaced through `mapping`."""
    def call(text: str) -> str:
        svc, rest = text.split(":", 1)
        return f"{mapping.get(svc, svc)}:{rest}"

    out = dict(raw)
    out["services"] = {mapping[n]: spec for n, spec in raw["services"].items()}
    out["entries"] = {call(k): v for k, v in raw["entries"].items()}
    out["calls"] = {call(k): [call(c) for c in v] for k, v in raw["calls"].items()}
    out["timeouts"] = {mapping.get(k, k): v for k, v in raw["timeouts"].items()}
    out["op_latency"] = {call(k): v for k, v in raw.get("op_latency", {}).items()}
    for key in ("batch_job", "batch_store"):
        if raw.get(key):
            out[key] = mapping[raw[key]]
    return out
