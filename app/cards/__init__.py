"""Package cards (套餐卡/次卡), period cards (月卡/年卡) and stamp cards (集章卡).

``init_app`` plugs card purchases into the payments domain: a paid WeChat order of purpose
"card_purchase" issues the card the member bought in the mini-program.
"""


def init_app(app):
    from app.cards import purchase_services

    purchase_services.register()
