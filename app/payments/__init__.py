"""WeChat Pay orders for the mini-program (JSAPI), their notifications and their lapse."""
