"""The built-in topologies, as data. Add one by writing a dict like these and registering it.

`webshop` is an Online-Boutique-like shop (gRPC backends, Go/Java/Node/Python/.NET, Postgres,
MySQL, Redis, Kafka). `trainticket` is a TrainTicket-like system (`ts-*-service`, Spring Boot,
MongoDB, RabbitMQ) with deep call chains. The two use different metric naming styles so a
ranker cannot overfit either names or metric vocabularies.
"""

from __future__ import annotations

from functools import cache

from aiops.simulator.topology import Topology, build_topology

WEBSHOP = {
    "name": "webshop",
    "description": "online shop: 13 gRPC/HTTP services behind a Go frontend, Postgres, MySQL, Redis, Kafka",
    "namespace": "shop",
    "metric_style": "cadvisor",
    "entry_rps": 60,
    "timeouts": {"default": 1.0, "cache": 0.5, "db": 2.0, "queue": 1.0, "entry": 10.0, "checkout": 4.0},
    "batch_job": "catalog-sync",
    "batch_store": "mysql",
    "services": {
        "frontend": {"kind": "web", "runtime": "go", "replicas": 2, "latency_ms": 3.0, "cpu_ms": 2.5},
        "auth": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 1.5},
        "checkout": {"kind": "app", "runtime": "go", "replicas": 2, "latency_ms": 6.0},
        "cart": {"kind": "app", "runtime": "dotnet", "replicas": 1, "latency_ms": 1.8},
        "productcatalog": {"kind": "app", "runtime": "go", "replicas": 3, "latency_ms": 2.0},
        "currency": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 1.2, "cpu_ms": 1.0},
        "payment": {"kind": "app", "runtime": "node", "replicas": 1, "latency_ms": 9.0},
        "shipping": {"kind": "app", "runtime": "go", "replicas": 1, "latency_ms": 2.5},
        "recommendation": {"kind": "app", "runtime": "python", "replicas": 1, "latency_ms": 11.0, "cpu_ms": 6.0},
        "ad": {"kind": "app", "runtime": "java", "replicas": 1, "latency_ms": 3.5},
        "email": {"kind": "app", "runtime": "python", "replicas": 1, "latency_ms": 14.0},
        "inventory": {"kind": "app", "runtime": "java", "replicas": 2, "latency_ms": 4.0},
        "order": {"kind": "app", "runtime": "java", "replicas": 1, "latency_ms": 5.0},
        "postgres": {"kind": "db", "runtime": "postgres", "replicas": 1, "latency_ms": 1.8},
        "mysql": {"kind": "db", "runtime": "mysql", "replicas": 1, "latency_ms": 1.2, "port": 3306},
        "redis": {"kind": "cache", "runtime": "redis", "replicas": 1, "latency_ms": 0.25},
        "kafka": {"kind": "queue", "runtime": "kafka", "replicas": 1, "latency_ms": 2.5},
        "catalog-sync": {"kind": "batch", "runtime": "python", "replicas": 1, "latency_ms": 1.0},
    },
    "entries": {
        "frontend:GET /": 0.30,
        "frontend:GET /product/{id}": 0.35,
        "frontend:POST /cart": 0.10,
        "frontend:GET /cart": 0.12,
        "frontend:POST /cart/checkout": 0.06,
        "frontend:GET /orders": 0.07,
    },
    "calls": {
        "frontend:GET /": ["auth:ValidateToken", "currency:GetSupportedCurrencies",
                           "productcatalog:ListProducts", "cart:GetCart", "ad:GetAds?"],
        "frontend:GET /product/{id}": ["auth:ValidateToken", "productcatalog:GetProduct", "currency:Convert",
                                       "cart:GetCart", "recommendation:ListRecommendations?", "ad:GetAds?"],
        "frontend:POST /cart": ["auth:ValidateToken", "productcatalog:GetProduct", "cart:AddItem"],
        "frontend:GET /cart": ["auth:ValidateToken", "cart:GetCart", "currency:Convert*2", "shipping:GetQuote",
                               "recommendation:ListRecommendations?"],
        "frontend:POST /cart/checkout": ["auth:ValidateToken", "checkout:PlaceOrder"],
        "frontend:GET /orders": ["auth:ValidateToken", "order:ListOrders"],
        "auth:ValidateToken": ["redis:GET"],
        "productcatalog:ListProducts": ["mysql:SELECT products"],
        "productcatalog:GetProduct": ["mysql:SELECT product"],
        "cart:GetCart": ["redis:HGETALL"],
        "cart:AddItem": ["redis:HSET"],
        "cart:EmptyCart": ["redis:DEL"],
        "recommendation:ListRecommendations": ["productcatalog:ListProducts"],
        "checkout:PlaceOrder": ["cart:GetCart", "productcatalog:GetProduct*2", "currency:Convert*2",
                                "inventory:Reserve", "shipping:GetQuote", "payment:Charge+", "shipping:ShipOrder",
                                "order:CreateOrder", "cart:EmptyCart", "email:SendOrderConfirmation?"],
        "inventory:Reserve": ["postgres:SELECT inventory", "postgres:UPDATE inventory"],
        "order:CreateOrder": ["postgres:INSERT orders", "kafka:produce orders"],
        "order:ListOrders": ["postgres:SELECT orders"],
    },
    "op_latency": {
        "productcatalog:ListProducts": 2.5, "mysql:SELECT products": 3.0, "payment:Charge": 1.5,
        "shipping:ShipOrder": 2.0, "order:ListOrders": 1.6, "postgres:SELECT orders": 2.5,
    },
}

_TT_SERVICES = [
    "auth", "user", "verification-code", "travel", "travel2", "ticketinfo", "basic", "station", "train",
    "route", "price", "config", "order", "order-other", "seat", "preserve", "security", "contacts", "food",
    "assurance", "consign", "consign-price", "inside-payment", "payment", "cancel", "notification",
    "travel-plan", "route-plan",
]
_TT_LATENCY = {"basic": 3.0, "seat": 6.0, "preserve": 12.0, "travel-plan": 8.0, "route-plan": 7.0,
               "order": 5.0, "order-other": 5.0, "travel": 6.0, "travel2": 6.0, "verification-code": 9.0}
_TT_REPLICAS = {"order": 2, "travel": 2}

TRAINTICKET = {
    "name": "trainticket",
    "description": "train booking: 29 Spring Boot ts-*-services behind an nginx UI, MongoDB, RabbitMQ",
    "namespace": "train-ticket",
    "metric_style": "gauge",
    "entry_rps": 22,
    "timeouts": {"default": 3.0, "cache": 1.0, "db": 5.0, "queue": 2.0, "entry": 30.0,
                 "ts-preserve-service": 12.0, "ts-travel-plan-service": 12.0, "ts-route-plan-service": 10.0},
    "services": {
        "ts-ui-dashboard": {"kind": "web", "runtime": "nginx", "replicas": 2, "latency_ms": 0.8, "cpu_ms": 0.6},
        **{f"ts-{s}-service": {"kind": "app", "runtime": "java", "replicas": _TT_REPLICAS.get(s, 1),
                               "latency_ms": _TT_LATENCY.get(s, 3.5), "cpu_ms": 4.0} for s in _TT_SERVICES},
        "ts-order-mongo": {"kind": "db", "runtime": "mongo", "replicas": 1, "latency_ms": 1.5, "port": 27017},
        "ts-auth-mongo": {"kind": "db", "runtime": "mongo", "replicas": 1, "latency_ms": 1.0, "port": 27017},
        "ts-travel-mongo": {"kind": "db", "runtime": "mongo", "replicas": 1, "latency_ms": 1.2, "port": 27017},
        "ts-station-mongo": {"kind": "db", "runtime": "mongo", "replicas": 1, "latency_ms": 0.8, "port": 27017},
        "ts-contacts-mongo": {"kind": "db", "runtime": "mongo", "replicas": 1, "latency_ms": 0.9, "port": 27017},
        "rabbitmq": {"kind": "queue", "runtime": "rabbitmq", "replicas": 1, "latency_ms": 1.5, "port": 5672},
    },
    "entries": {
        "ts-ui-dashboard:POST /api/v1/users/login": 0.08,
        "ts-ui-dashboard:GET /api/v1/verifycode/generate": 0.07,
        "ts-ui-dashboard:POST /api/v1/travelservice/trips/left": 0.22,
        "ts-ui-dashboard:POST /api/v1/travel2service/trips/left": 0.09,
        "ts-ui-dashboard:POST /api/v1/preserveservice/preserve": 0.08,
        "ts-ui-dashboard:GET /api/v1/orderservice/order/refresh": 0.12,
        "ts-ui-dashboard:POST /api/v1/inside_pay_service/inside_payment": 0.06,
        "ts-ui-dashboard:GET /api/v1/contactservice/contacts/account/{accountId}": 0.08,
        "ts-ui-dashboard:GET /api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}": 0.07,
        "ts-ui-dashboard:POST /api/v1/cancelservice/cancel/{orderId}/{loginId}": 0.03,
        "ts-ui-dashboard:POST /api/v1/travelplanservice/travelPlan/cheapest": 0.05,
        "ts-ui-dashboard:POST /api/v1/consignservice/consigns": 0.05,
    },
    "calls": {
        "ts-ui-dashboard:POST /api/v1/users/login": ["ts-auth-service:login"],
        "ts-ui-dashboard:GET /api/v1/verifycode/generate": ["ts-verification-code-service:generate"],
        "ts-ui-dashboard:POST /api/v1/travelservice/trips/left": ["ts-travel-service:queryInfo"],
        "ts-ui-dashboard:POST /api/v1/travel2service/trips/left": ["ts-travel2-service:queryInfo"],
        "ts-ui-dashboard:POST /api/v1/preserveservice/preserve": ["ts-preserve-service:preserve"],
        "ts-ui-dashboard:GET /api/v1/orderservice/order/refresh": ["ts-order-service:queryOrdersForRefresh"],
        "ts-ui-dashboard:POST /api/v1/inside_pay_service/inside_payment": ["ts-inside-payment-service:pay"],
        "ts-ui-dashboard:GET /api/v1/contactservice/contacts/account/{accountId}":
            ["ts-contacts-service:findContactsByAccountId"],
        "ts-ui-dashboard:GET /api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}":
            ["ts-food-service:getAllFood"],
        "ts-ui-dashboard:POST /api/v1/cancelservice/cancel/{orderId}/{loginId}": ["ts-cancel-service:cancelTicket"],
        "ts-ui-dashboard:POST /api/v1/travelplanservice/travelPlan/cheapest": ["ts-travel-plan-service:getByCheapest"],
        "ts-ui-dashboard:POST /api/v1/consignservice/consigns": ["ts-consign-service:insertConsign"],
        "ts-auth-service:login": ["ts-verification-code-service:verify", "ts-auth-mongo:find user"],
        "ts-travel-service:queryInfo": ["ts-travel-mongo:find trip", "ts-ticketinfo-service:queryForTravel",
                                        "ts-seat-service:getLeftTicketOfInterval", "ts-train-service:retrieve"],
        "ts-travel2-service:queryInfo": ["ts-travel-mongo:find trip2", "ts-ticketinfo-service:queryForTravel",
                                         "ts-seat-service:getLeftTicketOfInterval2", "ts-train-service:retrieve"],
        "ts-ticketinfo-service:queryForTravel": ["ts-basic-service:queryForTravel"],
        "ts-basic-service:queryForTravel": ["ts-station-service:queryForId*2", "ts-train-service:retrieve",
                                            "ts-route-service:queryById", "ts-price-service:query"],
        "ts-station-service:queryForId": ["ts-station-mongo:find station"],
        "ts-station-service:queryForNameBatch": ["ts-station-mongo:find station"],
        "ts-route-service:queryById": ["ts-travel-mongo:find route"],
        "ts-seat-service:getLeftTicketOfInterval": ["ts-order-service:getTicketListByDateAndTripId",
                                                    "ts-config-service:query"],
        "ts-seat-service:getLeftTicketOfInterval2": ["ts-order-other-service:getTicketListByDateAndTripId",
                                                     "ts-config-service:query"],
        "ts-seat-service:distributeSeat": ["ts-order-service:getTicketListByDateAndTripId", "ts-config-service:query"],
        "ts-order-service:getTicketListByDateAndTripId": ["ts-order-mongo:find order"],
        "ts-order-other-service:getTicketListByDateAndTripId": ["ts-order-mongo:find orderOther"],
        "ts-order-service:getOrderInfoForSecurity": ["ts-order-mongo:find order"],
        "ts-order-other-service:getOrderInfoForSecurity": ["ts-order-mongo:find orderOther"],
        "ts-order-service:create": ["ts-order-mongo:insert order"],
        "ts-order-service:getById": ["ts-order-mongo:find order"],
        "ts-order-service:modifyOrder": ["ts-order-mongo:update order"],
        "ts-order-service:queryOrdersForRefresh": ["ts-order-mongo:find order",
                                                   "ts-station-service:queryForNameBatch"],
        "ts-preserve-service:preserve": [
            "ts-security-service:check", "ts-contacts-service:getContactsById",
            "ts-travel-service:getTripAllDetailInfo", "ts-station-service:queryForId", "ts-seat-service:distributeSeat",
            "ts-order-service:create", "ts-assurance-service:create?", "ts-food-service:createFoodOrder?",
            "ts-consign-service:insertConsign?", "ts-user-service:findById",
            "ts-notification-service:preserveSuccess?"],
        "ts-security-service:check": ["ts-order-service:getOrderInfoForSecurity",
                                      "ts-order-other-service:getOrderInfoForSecurity"],
        "ts-contacts-service:getContactsById": ["ts-contacts-mongo:find contacts"],
        "ts-contacts-service:findContactsByAccountId": ["ts-contacts-mongo:find contacts"],
        "ts-travel-service:getTripAllDetailInfo": ["ts-travel-mongo:find trip", "ts-ticketinfo-service:queryForTravel",
                                                   "ts-seat-service:getLeftTicketOfInterval"],
        "ts-travel-service:getRouteByTripId": ["ts-travel-mongo:find trip", "ts-route-service:queryById"],
        "ts-consign-service:insertConsign": ["ts-consign-price-service:getPriceByWeightAndRegion"],
        "ts-user-service:findById": ["ts-auth-mongo:find user"],
        "ts-notification-service:preserveSuccess": ["rabbitmq:publish email"],
        "ts-notification-service:orderCancelSuccess": ["rabbitmq:publish email"],
        "ts-inside-payment-service:pay": ["ts-order-service:getById", "ts-payment-service:pay+",
                                          "ts-order-service:modifyOrder"],
        "ts-inside-payment-service:drawBack": ["ts-payment-service:refund"],
        "ts-food-service:getAllFood": ["ts-travel-service:getRouteByTripId", "ts-station-service:queryForId"],
        "ts-cancel-service:cancelTicket": ["ts-order-service:getById", "ts-inside-payment-service:drawBack",
                                           "ts-order-service:modifyOrder", "ts-user-service:findById",
                                           "ts-notification-service:orderCancelSuccess?"],
        "ts-travel-plan-service:getByCheapest": ["ts-route-plan-service:searchCheapestResult"],
        "ts-route-plan-service:searchCheapestResult": ["ts-travel-service:queryInfo", "ts-travel2-service:queryInfo",
                                                       "ts-station-service:queryForId"],
    },
    "op_latency": {"ts-order-mongo:find order": 2.0, "ts-verification-code-service:verify": 0.3},
}

_RAW = {"webshop": WEBSHOP, "trainticket": TRAINTICKET}
TOPOLOGY_NAMES: tuple[str, ...] = tuple(_RAW)


@cache
def get_topology(name: str) -> Topology:
    """The built-in topology `name`; KeyError when there is none."""
    return build_topology(_RAW[name])
