"""The instruments a settlement spends, reached through their domains' service functions.

Imports are deferred to the calls: the instrument domains may import this package's events or
services in turn, and a module-level import cycle would break the app factory's discovery.
"""


def wallet():
    from app.wallet import services

    return services


def points():
    from app.wallet import points as module

    return module


def coupons():
    from app.coupons import services

    return services


def cards():
    from app.cards import services

    return services


def payments():
    from app.payments import services

    return services


def payment_refunds():
    from app.payments import refunds

    return refunds
