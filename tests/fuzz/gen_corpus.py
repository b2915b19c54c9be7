#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/NAME/.

Seeds are small and meaningful: what the services send, what a broken proxy
might, and the edge cases the parsers must refuse. Run it again after editing;
it rewrites only the seeds it names (files named regress-* are regressions
found by fuzzing and are kept as they are).

    python3 tests/fuzz/gen_corpus.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHOP = "https://fuzz.myshopify.com/admin/api/2024-01/orders.json"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def link_seeds():
    nxt = SHOP + "?limit=250&page_info=eyJsYXN0X2lkIjo0MjAwfQ"
    prv = SHOP + "?limit=250&page_info=eyJkaXJlY3Rpb24iOiJwcmV2In0"
    s = {
        "next-only": f'<{nxt}>; rel="next"',
        "prev-and-next": f'<{prv}>; rel="previous", <{nxt}>; rel="next"',
        "next-and-prev": f'<{nxt}>; rel="next", <{prv}>; rel="previous"',
        "prev-only": f'<{prv}>; rel="previous"',
        "unquoted-rel": f"<{nxt}>; rel=next",
        "rel-list": f'<{nxt}>; rel="prefetch next"',
        "uppercase-rel": f'<{nxt}>; REL="NEXT"',
        "two-rels-first-wins": f'<{nxt}>; rel="previous"; rel="next"',
        "extra-params": f'<{nxt}>; title="page 2"; rel="next"; type="application/json"',
        "quoted-escape": f'<{nxt}>; title="a \\"b\\" c"; rel="next"',
        "empty-elements": f' , ,<{nxt}>; rel="next",, ',
        "ows-everywhere": f'\t<{nxt}>\t;\trel\t=\t"next"\t',
        "comma-in-url": '<https://x/a,b;c>; rel="next"',
        "empty": "",
        "only-spaces": "   \t ",
        "empty-url": '<>; rel="next"',
        "unterminated-url": '<https://fuzz.myshopify.com/a; rel="next"',
        "unterminated-quote": '<https://x/>; rel="next',
        "no-brackets": 'https://x/; rel="next"',
        "space-in-url": '<https://x/a b>; rel="next"',
        "param-no-name": '<https://x/>; ="next"',
        "param-no-value": '<https://x/>; rel=',
        "param-bare": '<https://x/>; rel',
        "garbage-after": '<https://x/>; rel="next" junk',
        "cr-in-quote": '<https://x/>; rel="ne\rxt"',
        "utf8-url": '<https://x/ñandú?p=é>; rel="next"',
        "invalid-utf8": b'<https://x/\xc3\x28\xff\xfe>; rel="next"',
        "backslash-end": '<https://x/>; rel="next\\',
        "many-params": "<https://x/>" + "; a=b" * 70 + '; rel="next"',
        "many-values": ", ".join(['<https://x/%d>; rel="item"' % i for i in range(260)]),
        "long-url-small-buf": '<https://x/' + "a" * 300 + '>; rel="next"\x3f',
        "nul-inside": b'<https://x/>; rel="next"\x00, <https://y/>; rel="next"',
    }
    for k, v in s.items():
        write("link", k, v)


def retry_after_seeds():
    s = {
        "int": "120", "zero": "0", "decimal": "2.0", "fraction": "0.25",
        "spaces": "  5  ", "tabs": "\t7\t", "cap": "86401", "huge": "9" * 127,
        "too-long": "1" * 129, "long-fraction": "1." + "9" * 100,
        "negative": "-1", "plus": "+3", "exp": "1e3", "inf": "inf", "nan": "NaN",
        "hex": "0x10", "dot-only": ".", "trailing-dot": "5.", "leading-dot": ".5",
        "imf": "Sun, 06 Nov 1994 08:49:37 GMT",
        "imf-future": "Wed, 21 Oct 2065 07:28:00 GMT",
        "imf-leap-second": "Wed, 31 Dec 2025 23:59:60 GMT",
        "imf-feb29": "Sun, 29 Feb 2032 00:00:00 GMT",
        "imf-feb30": "Mon, 30 Feb 2032 00:00:00 GMT",
        "imf-year-9999": "Fri, 31 Dec 9999 23:59:59 GMT",
        "imf-year-0": "Sat, 01 Jan 0000 00:00:00 GMT",
        "imf-bad-month": "Sun, 06 Foo 1994 08:49:37 GMT",
        "imf-no-gmt": "Sun, 06 Nov 1994 08:49:37 UTC",
        "imf-truncated": "Sun, 06 Nov 1994 08:4",
        "rfc850": "Sunday, 06-Nov-94 08:49:37 GMT",
        "rfc850-century": "Thursday, 01-Jan-70 00:00:00 GMT",
        "asctime": "Sun Nov  6 08:49:37 1994",
        "asctime-2digit": "Sun Nov 16 08:49:37 1994",
        "hour-25": "Sun, 06 Nov 1994 25:49:37 GMT",
        "empty": "", "invalid-utf8": b"\xff\xfe12",
        "nul-inside": b"12\x003",
    }
    for k, v in s.items():
        write("retry_after", k, v)


def call_limit_seeds():
    s = {
        "shopify": "32/40", "plus": "1/400", "full": "40/40", "over": "41/40",
        "spaces": " 3 / 40 ", "zero-size": "0/0", "ten-times": "400/40",
        "eleven-times": "441/40", "max-size": "1/1000000", "over-size": "1/1000001",
        "nine-digits": "999999999/999999999", "ten-digits": "1/1000000000",
        "negative": "-1/40", "no-slash": "32", "two-slashes": "1/2/3",
        "empty-right": "32/", "empty-left": "/40",
        "amazon-rate": "0.0167", "amazon-rate-int": "10", "rate-zero": "0",
        "rate-zero-frac": "0.0000", "rate-huge": "1000001", "rate-max": "1000000",
        "rate-exp": "1e-2", "rate-long": "0." + "0" * 100 + "1",
        "too-long": "1" * 200, "empty": "", "tabs": "\t0.5\t",
        "invalid-utf8": b"\xc3\x28/40", "nul-inside": b"3\x00/40",
    }
    for k, v in s.items():
        write("call_limit", k, v)


def dates_seeds():
    s = {
        "date": "2026-01-31", "leap": "2024-02-29", "not-leap": "2025-02-29",
        "century-not-leap": "2100-02-29", "y2000": "2000-02-29",
        "before-1970": "1969-12-31", "year-9999": "9999-12-31",
        "month-13": "2026-13-01", "day-0": "2026-01-00", "short": "2026-1-1",
        "long": "2026-01-011", "slashes": "2026/01/31",
        "time-z": "2025-04-22T14:30:00Z", "time-offset": "2025-04-22T14:30:00-05:00",
        "time-offset-nocolon": "2025-04-22T14:30:00+0530",
        "time-fraction": "2025-04-22T14:30:00.123456Z", "time-space": "2025-04-22 14:30:00Z",
        "time-leap-second": "2016-12-31T23:59:60Z", "time-no-zone": "2025-04-22T14:30:00",
        "time-bad-offset": "2025-04-22T14:30:00+24:00", "time-empty-fraction": "2025-04-22T14:30:00.Z",
        "time-year-0": "0000-01-01T00:00:00Z", "time-lowercase-z": "2025-04-22T14:30:00z",
        "zone-la": "America/Los_Angeles", "zone-utc": "UTC", "zone-unknown": "Mars/Olympus",
        "zone-link": "US/Pacific", "zone-custom": "GMT+05:00", "zone-empty": "",
        "zone-long": "America/" + "X" * 70, "zone-invalid-utf8": b"Europe/\xff\xfe",
        # 23- and 25-hour days, skipped and repeated midnights.
        "day-dst-spring-ny": "2026-03-08\nAmerica/New_York",
        "day-dst-fall-ny": "2026-11-01\nAmerica/New_York",
        "day-dst-spring-berlin": "2026-03-29\nEurope/Berlin",
        "day-dst-fall-london": "2026-10-25\nEurope/London",
        "day-havana-repeated-midnight": "2026-11-01\nAmerica/Havana",
        "day-santiago-skipped-midnight": "2026-09-06\nAmerica/Santiago",
        "day-apia-skipped-day": "2011-12-30\nPacific/Apia",
        "day-lord-howe-half-hour": "2026-04-05\nAustralia/Lord_Howe",
        "day-kolkata": "2026-01-01\nAsia/Kolkata",
        "day-kathmandu": "1986-01-01\nAsia/Kathmandu",
        "day-year-9999": "9999-12-31\nPacific/Kiritimati",
        "day-1970": "1970-01-01\nAmerica/Los_Angeles",
        "day-bad-zone": "2026-03-08\nNot/AZone",
        "day-three-lines": "2026-03-08\nUTC\nextra",
        "empty": "", "nul-inside": b"2026-01-31\x00junk",
    }
    for k, v in s.items():
        write("dates", k, v)


def schedule_seeds():
    s = {
        # cron expressions, one element of the syntax each
        "cron-every-2h": "0 */2 * * *", "cron-stars": "* * * * *",
        "cron-list-range-step": "0,15 6-22/2 1-7 jan-mar,dec mon-fri",
        "cron-sunday-7": "30 2 * * 7", "cron-fri-sun": "0 0 * * fri-sun",
        "cron-vixie-or": "0 0 1,15 * mon", "cron-vixie-and": "0 0 */2 * mon",
        "cron-feb-29": "0 0 29 2 *", "cron-feb-29-sunday": "0 0 29 2 */7",
        "cron-hourly": "@hourly", "cron-yearly-upper": "@YEARLY", "cron-reboot": "@reboot",
        "cron-tabs": "\t0\t0 *\t* *\t",
        # refused ones
        "cron-never": "0 0 31 2 *", "cron-hour-24": "0 24 * * *", "cron-step-0": "*/0 * * * *",
        "cron-backwards": "5-1 * * * *", "cron-bare-step": "5/10 * * * *",
        "cron-empty-item": "1,,2 * * * *", "cron-four-fields": "* * * *",
        "cron-long-number": "99999999999 * * * *", "cron-control": "0 0 * * *\r",
        "cron-too-long": "0," * 200 + "1 * * * *", "cron-invalid-utf8": b"0 0 * * \xff\xfe",
        # with a zone on the second line: DST gaps, repeats, midnight changes
        "cron-gap-ny": "30 2 * * *\nAmerica/New_York",
        "cron-repeat-ny-wild": "*/15 1 * * *\nAmerica/New_York",
        "cron-midnight-santiago": "0 0 * * *\nAmerica/Santiago",
        "cron-midnight-havana": "@hourly\nAmerica/Havana",
        "cron-half-hour-lord-howe": "15 2 * * *\nAustralia/Lord_Howe",
        "cron-skipped-day-apia": "0 12 * * *\nPacific/Apia",
        "cron-bad-zone": "0 0 * * *\nNot/AZone",
        # the other parsers
        "every-10m": "10m", "every-90m": "90m", "every-24h": "24h", "every-25h": "25h",
        "every-no-unit": "10", "daily-at": "02:00", "daily-at-short": "2:00",
        "daily-at-24": "24:00", "between": "06:00-22:00", "between-wrap": "22:00-06:00",
        "between-same": "06:00-06:00", "max-runs": "1440", "max-runs-over": "1441",
        "preset": "last-7-days", "preset-upper": "PREVIOUS-MONTH",
        "custom-range": "2024-02-01..2024-02-29", "custom-backwards": "2026-02-01..2026-01-01",
        "custom-too-long": "2000-01-01..2026-01-01", "empty": "",
    }
    for k, v in s.items():
        write("schedule", k, v)


def shopify_order(i, **extra):
    o = {
        "id": 5500000000 + i, "name": "#%d" % (1000 + i),
        "created_at": "2026-03-08T10:%02d:00-05:00" % (i % 60),
        "updated_at": "2026-03-08T11:00:00-05:00", "currency": "USD",
        "total_price": "199.00", "financial_status": "paid", "fulfillment_status": None,
        "cancelled_at": None, "closed_at": None,
        "line_items": [{"id": 13000000000 + i, "sku": "SKU-%d" % i, "title": "Mug",
                        "quantity": 2, "price": "99.50"}],
    }
    o.update(extra)
    return o


def shopify_seeds():
    nxt = SHOP + "?limit=250&page_info=eyJsYXN0X2lkIjo0MjAwfQ"
    link = f'<{nxt}>; rel="next"'
    page = json.dumps({"orders": [shopify_order(1), shopify_order(2)]})
    s = {
        "page-with-next": link + "\n" + page,
        "page-last": page,
        "page-prev-only": f'<{nxt}>; rel="previous"\n' + page,
        "page-empty-list": '{"orders":[]}',
        "page-empty-link-line": "\n" + page,
        "page-bad-link": '<https://x/; rel="next"\n' + page,
        "page-pretty": link + "\n" + json.dumps({"orders": [shopify_order(3)]}, indent=2),
        "order-string-id": json.dumps({"orders": [shopify_order(4, id="gid://shopify/Order/4")]}),
        "order-float-id": '{"orders":[{"id":1.5,"created_at":"2026-03-08T10:00:00Z"}]}',
        "order-huge-id": '{"orders":[{"id":1e300,"created_at":"2026-03-08T10:00:00Z"}]}',
        "order-2p53-id": '{"orders":[{"id":9007199254740993,"created_at":"2026-03-08T10:00:00Z"}]}',
        "order-no-id": '{"orders":[{"created_at":"2026-03-08T10:00:00Z"}]}',
        "order-bad-created": json.dumps({"orders": [shopify_order(5, created_at="yesterday")]}),
        "order-jpy": json.dumps({"orders": [shopify_order(6, currency="JPY", total_price="1980")]}),
        "order-bhd": json.dumps({"orders": [shopify_order(7, currency="BHD", total_price="1.234")]}),
        "order-bad-total": json.dumps({"orders": [shopify_order(8, total_price="12,50")]}),
        "order-huge-total": json.dumps({"orders": [shopify_order(9, total_price="9" * 40 + ".99")]}),
        "order-negative-total": json.dumps({"orders": [shopify_order(10, total_price="-5.5")]}),
        "order-cancelled": json.dumps({"orders": [shopify_order(11, cancelled_at="2026-03-08T12:00:00Z")]}),
        "order-no-total-currency": '{"orders":[{"id":12,"created_at":"2026-03-08T10:00:00Z","currency":"EUR"}]}',
        "item-no-id": json.dumps({"orders": [shopify_order(13, line_items=[{"sku": "x", "price": "1.00"}])]}),
        "item-bad-price": json.dumps({"orders": [shopify_order(14, line_items=[{"id": 1, "price": "abc"}])]}),
        "item-no-price": json.dumps({"orders": [shopify_order(15, line_items=[{"id": 1, "quantity": 1e300}])]}),
        "items-not-array": json.dumps({"orders": [shopify_order(16, line_items={"id": 1})]}),
        "order-not-object": '{"orders":[1,"two",null]}',
        "orders-not-list": '{"orders":{"id":1}}',
        "orders-twice": '{"orders":[],"orders":[]}',
        "no-orders": '{"errors":"Not Found"}',
        "errors-object": '{"errors":{"page_info":["is invalid"]}}',
        "errors-page-info": '{"errors":"Invalid value for page_info"}',
        "shop-probe": '{"shop":{"id":1,"iana_timezone":"America/New_York"}}',
        "empty": "",
        "not-json": "<html><body>502 Bad Gateway</body></html>",
        "truncated": page[: len(page) // 2],
        "trailing-garbage": page + " x",
        "deep-nesting": '{"orders":[{"id":1,"created_at":"2026-03-08T10:00:00Z","note":' + "[" * 2000 + "]" * 2000 + "}]}",
        "deep-nesting-unclosed": '{"orders":[' + "[" * 3000,
        "invalid-utf8": b'{"orders":[{"id":1,"name":"\xff\xfe\xc3\x28","created_at":"2026-03-08T10:00:00Z"}]}',
        "escapes-in-key": '{"ord\\u0065rs":[],"x\\"":1,"orders":[]}',
        "backslash-at-end": '{"orders\\',
        "nul-in-body": b'{"orders":[{"id":1,"created_at":"2026-03-08T10:00:00Z","name":"a\x00b"}]}',
        "whitespace-around": ' \n\t{"orders" : [ ] } \r\n',
    }
    for k, v in s.items():
        write("shopify_page", k, v)


def amazon_order(oid, **extra):
    o = {
        "AmazonOrderId": oid, "PurchaseDate": "2026-11-01T08:00:00Z",
        "LastUpdateDate": "2026-11-01T09:00:00Z", "OrderStatus": "Shipped",
        "FulfillmentChannel": "AFN", "OrderTotal": {"CurrencyCode": "USD", "Amount": "25.99"},
        "MarketplaceId": "ATVPDKIKX0DER",
    }
    o.update(extra)
    return o


def amazon_item(iid, **extra):
    i = {"OrderItemId": iid, "SellerSKU": "SKU-" + iid, "Title": "Lamp", "QuantityOrdered": 1,
         "ItemPrice": {"CurrencyCode": "USD", "Amount": "25.99"}}
    i.update(extra)
    return i


def amazon_seeds():
    orders = {"payload": {"Orders": [amazon_order("111-0000001-0000001"),
                                     amazon_order("111-0000002-0000002")],
                          "NextToken": "MRgZW55IGNhcm5hbCBwbGVhcw=="}}
    last = {"payload": {"Orders": [amazon_order("111-0000003-0000003")]}}
    items = {"payload": {"AmazonOrderId": "111-0000001-0000001",
                         "OrderItems": [amazon_item("00000000000001")]}}
    items_more = {"payload": {"AmazonOrderId": "111-0000001-0000001",
                              "OrderItems": [amazon_item("00000000000002")], "NextToken": "itm2"}}
    cur_items = '{"o":"MRgZW55","p":["111-0000001-0000001","111-0000002-0000002"]}'
    cur_items_next = '{"p":["111-0000001-0000001"],"i":"itm2"}'
    d = json.dumps
    s = {
        "orders-first-page": "\n" + d(orders),
        "orders-last-page": d(last),
        "orders-next-token-cursor": '{"o":"MRgZW55"}\n' + d(last),
        "orders-empty": '\n{"payload":{"Orders":[]}}',
        "orders-empty-next-token": '\n{"payload":{"Orders":[],"NextToken":""}}',
        "items-page": cur_items + "\n" + d(items),
        "items-more": cur_items + "\n" + d(items_more),
        "items-second-page": cur_items_next + "\n" + d(items),
        "items-wrong-order": cur_items + "\n" + d({"payload": {"AmazonOrderId": "999", "OrderItems": []}}),
        "items-no-list": cur_items + "\n" + '{"payload":{}}',
        "items-no-id": cur_items + "\n" + d({"payload": {"OrderItems": [{"Title": "x"}]}}),
        "items-pending-price": cur_items + "\n" + d({"payload": {"OrderItems": [amazon_item("3", ItemPrice=None)]}}),
        "items-bad-price": cur_items + "\n" + d({"payload": {"OrderItems": [amazon_item("4", ItemPrice={"Amount": "x", "CurrencyCode": "USD"})]}}),
        "cursor-pending-numbers": '{"p":[1,2,"3"]}\n' + d(items),
        "cursor-pending-mixed": '{"p":["111-0000001-0000001",null,{"a":1},"x"]}\n' + d(items),
        "cursor-pending-empty": '{"p":[]}\n' + d(last),
        "cursor-not-object": '["o"]\n' + d(last),
        "cursor-garbage": "not a cursor\n" + d(last),
        "cursor-truncated": '{"o":"MRg\n' + d(last),
        "cursor-huge-token": '{"o":"' + "A" * 3000 + '"}\n' + d(last),
        "cursor-invalid-utf8": b'{"o":"\xff\xfe","p":["\xc3\x28"]}\n' + d(items).encode(),
        "order-no-id": d({"payload": {"Orders": [{"PurchaseDate": "2026-11-01T08:00:00Z"}]}}),
        "order-empty-id": d({"payload": {"Orders": [amazon_order("")]}}),
        "order-bad-date": d({"payload": {"Orders": [amazon_order("1", PurchaseDate="2026-02-30T00:00:00Z")]}}),
        "order-jpy": d({"payload": {"Orders": [amazon_order("1", OrderTotal={"CurrencyCode": "JPY", "Amount": "1980"})]}}),
        "order-huge-total": d({"payload": {"Orders": [amazon_order("1", OrderTotal={"CurrencyCode": "USD", "Amount": "9" * 40})]}}),
        "order-not-object": '{"payload":{"Orders":[true]}}',
        "no-payload": '{"errors":[{"code":"InvalidInput","message":"Invalid NextToken","details":""}]}',
        "error-quota": '{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota","details":"x"}]}',
        "error-unauthorized": '{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}',
        "auth-ok": '{"access_token":"Atza|IwEB","refresh_token":"Atzr|x","token_type":"bearer","expires_in":3600}',
        "auth-huge-expiry": '{"access_token":"Atza|IwEB","expires_in":1e300}',
        "auth-negative-expiry": '{"access_token":"Atza|IwEB","expires_in":-5}',
        "auth-string-expiry": '{"access_token":"Atza|IwEB","expires_in":"99999999999999999999"}',
        "auth-error": '{"error_description":"The request has an invalid grant parameter","error":"invalid_grant"}',
        "auth-echo-secret": '{"error":"invalid_client fuzz-client-secret","error_description":"bad Atzr|fuzz-refresh-token"}',
        "empty": "", "only-newline": "\n",
        "not-json": "\n<html>503</html>",
        "truncated": "\n" + d(orders)[:60],
        "deep-nesting": '\n{"payload":{"Orders":[' + "[" * 2000 + "]" * 2000 + "]}}",
        "invalid-utf8": b'\n{"payload":{"Orders":[{"AmazonOrderId":"\xff\xc3\x28","PurchaseDate":"2026-11-01T08:00:00Z"}]}}',
    }
    for k, v in s.items():
        write("amazon_page", k, v)


def api_request_seeds():
    body = json.dumps({"name": "nightly", "daily_at": "02:00", "sources": ["alpha"]})
    s = {
        "list-runs": "GET\n/api/runs\nlimit=20&status=completed\nBearer mst_abc\n",
        "create-schedule": "POST\n/api/schedules\n\nBearer mst_abc\n" + body,
        "encoded-path": "GET\n/api/sources/al%70ha/calendar\nmonth=2026-11&stream=orders\nBearer x\n",
        "bad-escape": "GET\n/api/sources/%zz\n\n\n",
        "nul-escape": "GET\n/api/sources/a%00b\n\n\n",
        "plus-space": "GET\n/api/events\ntype=order.+created\n\n",
        "twice": "GET\n/api/runs\nlimit=1&limit=2\n\n",
        "no-value": "GET\n/api/runs\nlimit&x=\n\n",
        "deep-body": "POST\n/api/sync\n\nBearer t\n" + "[" * 40 + "]" * 40,
        "array-body": "POST\n/api/sync\n\nBearer t\n[1,2]",
        "bad-json": "POST\n/api/sync\n\nBearer t\n{\"sources\": [",
        "basic-auth": "GET\n/api/runs\n\nBasic dXNlcjpwYXNz\n",
        "empty-bearer": "GET\n/api/runs\n\nBearer \n",
        "many-segments": "GET\n" + "/a" * 20 + "\n\n\n",
        "empty-segment": "GET\n/api//runs\n\n\n",
        "trailing-slash": "GET\n/api/runs/\n\n\n",
        "no-leading-slash": "GET\napi/runs\n\n\n",
        "long-method": "PROPPATCHX\n/api\n\n\n",
        "ints": "POST\n/api/schedules\nlimit=99999999999999999999\nBearer t\n{\"every\": 1e300, \"name\": 7}",
    }
    for k, v in s.items():
        write("api_request", k, v)


SPECS = os.path.join(HERE, "..", "..", "src", "connectors", "specs")


def rest_spec_seeds():
    """The built-in specs, a third network's, and mistakes of every kind."""
    specs = {}
    for name in ("admitad", "boostiny"):
        with open(os.path.join(SPECS, name + ".json")) as f:
            specs[name] = f.read()
    third = {
        "spec": 1, "name": "third", "base_url": "https://api.third.test",
        "settings": [{"key": "token", "kind": "secret", "required": True, "help": "the token"},
                     {"key": "region", "kind": "choice", "choices": "eu,us", "default": "eu",
                      "help": "the region"},
                     {"key": "days", "kind": "int", "default": 7, "help": "days"}],
        "headers": {"X-Region": "{region}"},
        "auth": {"type": "bearer"},
        "rate_limit": {"requests": 10, "per_seconds": 1},
        "errors": {"message": ["error.message"], "code": "error.code",
                   "rules": [{"code": "RATE", "means": "throttled"},
                             {"status": 423, "contains": "locked", "means": "locked_out",
                              "wait_minutes_in_message": True}]},
        "streams": [
            {"name": "sales", "slicing": "by_update", "path": "/{region}/sales",
             "window_params": {"since": "{since:iso_utc}", "until": "{until:unix}"},
             "records": "", "key": ["id", "line"], "updated": "ts", "unordered": True,
             "pagination": {"type": "link", "next_url": "links.next"}},
            {"name": "daily", "slicing": "by_day", "path": "/daily",
             "day_params": {"d": "{day:dd/mm/yyyy}", "s": "{day_start:unix}", "e": "{day_last}"},
             "window_params": {"changed": "{since}"}, "recent_days": "{days}",
             "records": "rows", "key": "id", "created": "at", "day_member": "day",
             "pagination": {"type": "page", "limit": 50, "first_page": 0}},
            {"name": "offers", "slicing": "snapshot", "path": "/offers", "records": "data",
             "key": "id", "pagination": {"type": "cursor", "limit": 100, "cursor": "meta.next",
                                         "cursor_param": "after"},
             "children": [{"name": "offer_terms", "path": "terms", "key": "id",
                           "parent_key": "offer_external_id"}]},
        ],
    }
    seeds = dict(specs)
    seeds["third"] = json.dumps(third, indent=1)
    b = specs["boostiny"]
    mistakes = {
        "bad-paging-type": b.replace('"type": "page"', '"type": "pages"', 1),
        "typo-member": b.replace('"pagination"', '"paginaton"', 1),
        "unknown-variable": b.replace('"{day}"', '"{dy}"', 1),
        "bad-format": b.replace('"{day}"', '"{day:YYYY}"', 1),
        "open-brace": b.replace('"{day}"', '"{day"', 1),
        "secret-in-url": b.replace('"to": "{day}"', '"to": "{api_key}"', 1),
        "no-day": b.replace('"day_params": {"from": "{day}", "to": "{day}"}', '"day_params": {}', 1),
        "clashing-column": b.replace('"name": "code", "path"', '"name": "raw", "path"', 1),
        "recent-not-int": b.replace('"{refetch_days}"', '"{api_key}"', 1),
        "cut": b[: len(b) // 2],
        "version-2": b.replace('"spec": 1', '"spec": 2', 1),
        "deep": "[" * 5000 + "]" * 5000,
        "not-object": "[1,2,3]",
        "empty": "",
        "nul-inside": b.replace('"Boostiny"', '"Boo\u0000stiny"', 1),
        "huge-number": b.replace('"limit": 500', '"limit": 1e308', 1),
        "negative-limit": b.replace('"limit": 500', '"limit": -5', 1),
        "many-settings": json.dumps({**third, "settings": [
            {"key": f"s{i}", "help": "x"} for i in range(40)]}),
        "many-streams": json.dumps({**third, "streams": third["streams"] * 20}),
    }
    seeds.update(mistakes)
    for k, v in seeds.items():
        write("rest_spec", k, v)


def rest_page_seeds():
    """Answers of Admitad and Boostiny, with a stored cursor on line 1."""
    action = {"action_id": 197043264, "order_id": "174460313", "status": "pending",
              "action_date": "2026-03-29 02:30:00", "click_date": "2026-03-28 08:17:42",
              "status_updated": "2026-03-29 02:30:00", "closing_date": "2026-05-28",
              "advcampaign_id": 2656, "payment": 7.21, "cart": 102.96, "currency": "USD",
              "processed": 0, "paid": 0,
              "positions": [{"id": 788173056, "payment": "7.21", "amount": "102.96",
                             "rate": "7.00", "percentage": True, "datetime": "2026-03-29 02:30:00"}]}
    row = {"code": "EID13", "code_id": "9440", "campaign_id": "562", "orders": "5",
           "net_orders": "5", "revenue": "49.03", "net_revenue": "49.03",
           "sales_amount": "3245.20", "sales_amount_usd": "891.54",
           "last_updated_at": "2026-03-30 11:40:35"}
    seeds = {
        "admitad-page": "\n" + json.dumps({"results": [action, dict(action, action_id=2)],
                                           "_meta": {"count": 1002, "limit": 500, "offset": 0}}),
        "admitad-offset": '{"n":500}\n' + json.dumps({"results": [action],
                                                     "_meta": {"count": "501"}}),
        "admitad-bad-money": "\n" + json.dumps({"results": [dict(action, payment="a lot")],
                                                "_meta": {"count": 1}}),
        "admitad-no-id": "\n" + json.dumps({"results": [{"status": "x"}, 5, None]}),
        "admitad-shape": '\n{"results":{},"_meta":[]}',
        "admitad-error": '\n{"error":"invalid_token","error_description":"The access token '
                         'provided has expired.","error_code":0}',
        "admitad-echo": '\n{"error":"bad_request","error_description":"fuzz-secret",'
                        '"error_code":3}',
        "token-ok": '\n{"access_token":"a","token_type":"bearer","expires_in":604800,'
                    '"refresh_token":"r"}',
        "token-odd": '\n{"access_token":[],"token_type":"bearer","expires_in":"soon"}',
        "boostiny-page": '{"n":2}\n' + json.dumps(
            {"payload": {"data": [row, {}], "pagination": {"total": 1000, "perPage": 500,
                                                           "currentPage": 2}}}),
        "boostiny-with-date": "\n" + json.dumps({"payload": {"data": [dict(row, date="x")]}}),
        "boostiny-spaces": '\n{"payload":{"data":[ {  } , { "code_id" : 1 } ]}}',
        "boostiny-lockout": '\n{"message":"Too many attempts, retry after 99999999999 minutes"}',
        "boostiny-null": '\n{"payload":{"data":null}}',
        "cursor-garbage": "{not json\n" + json.dumps({"results": [action]}),
        "cursor-url": '{"u":"https://evil.test/"}\n' + json.dumps({"results": []}),
        "deep": "\n" + '{"results":' + "[" * 100000 + "]" * 100000 + "}",
        "invalid-utf8": '\n{"results":[{"action_id":1,"status":"\udcc3("}]}',
        "html": "\n<!doctype html><html><body>sign in</body></html>",
        "empty": "",
    }
    for k, v in seeds.items():
        write("rest_page", k, v)


def cli_seeds():
    # First byte: 0 sync, 1 status, 2 export (mod 3); then arguments split on
    # newline or NUL.
    sync, status, export = "0", "1", "2"
    s = {
        "sync-help": sync + "\n--help",
        "sync-today": sync + "\n--today",
        "sync-yesterday-name": sync + "\nshop1\n--yesterday",
        "sync-last-days": sync + "\n--last-days\n7",
        "sync-last-days-zero": sync + "\n--last-days=0",
        "sync-last-days-huge": sync + "\n--last-days\n99999999999999999999999",
        "sync-last-days-max": sync + "\n--last-days=3660",
        "sync-from-to": sync + "\n--from\n2026-01-01\n--to\n2026-01-31",
        "sync-from-after-to": sync + "\n--from=2026-02-01\n--to=2026-01-31",
        "sync-from-only": sync + "\n--from=2026-02-01",
        "sync-range-too-long": sync + "\n--from=1970-01-01\n--to=9999-12-31",
        "sync-bad-date": sync + "\n--from=2026-02-30\n--to=2026-03-01",
        "sync-two-ranges": sync + "\n--today\n--yesterday",
        "sync-resync-day": sync + "\n--resync=2026-03-08",
        "sync-resync-day-and-range": sync + "\n--resync=2026-03-08\n--today",
        "sync-resync-bad": sync + "\n--resync=tomorrow",
        "sync-init-days": sync + "\n--initialize-days\n30",
        "sync-init-days-and-range": sync + "\n--initialize-days=3\n--today",
        "sync-delay": sync + "\n--delay\n0.5",
        "sync-delay-nan": sync + "\n--delay=nan",
        "sync-delay-inf": sync + "\n--delay=inf",
        "sync-delay-hex": sync + "\n--delay=0x10",
        "sync-delay-negative": sync + "\n--delay=-1",
        "sync-concurrency": sync + "\n--concurrency=17",
        "sync-max-retries": sync + "\n--max-retries\n-1",
        "sync-plan": sync + "\n--plan\n--orders-per-day\n100000000",
        "sync-unknown": sync + "\n--frobnicate",
        "sync-missing-value": sync + "\n--from",
        "sync-short-cluster": sync + "\n-hx",
        "sync-short-unknown-cluster": sync + "\n-xh",
        "sync-abbrev": sync + "\n--la=3\n--pen",
        "sync-ambiguous": sync + "\n--re",
        "sync-double-dash": sync + "\n--\n--today",
        "sync-names": sync + "\nshop-a\nshop-b\n--pending",
        "sync-nul-split": (sync + "\x00--today\x00shop").encode(),
        "sync-invalid-utf8": (sync.encode() + b"\n\xff\xfe\n--from=\xc3\x28"),
        "status-plain": status,
        "status-json-failed": status + "\n--json\n--failed",
        "status-from-to": status + "\n--from=2026-01-01\n--to=2026-01-31",
        "status-from-after-to": status + "\n--from=2026-02-01\n--to=2026-01-01",
        "status-two-names": status + "\na\nb",
        "status-unknown-name": status + "\nnosuchshop",
        "status-bad-date": status + "\n--to=2026-13-01",
        "status-help": status + "\n-h",
        "export-orders": export + "\norders",
        "export-csv": export + "\norders\n--format=csv\n--from=2026-01-01",
        "export-bad-format": export + "\norders\n--format=xml",
        "export-nothing": export,
        "export-wrong-what": export + "\nproducts",
        "export-output": export + "\norders\n--output\nout.csv\n--source\nshop",
        "export-from-after-to": export + "\norders\n--from=2026-02-01\n--to=2026-01-01",
        "export-help": export + "\n--help",
        "many-args": sync + "\n--today" * 80,
    }
    for k, v in s.items():
        write("cli", k, v)


if __name__ == "__main__":
    link_seeds()
    retry_after_seeds()
    call_limit_seeds()
    dates_seeds()
    shopify_seeds()
    amazon_seeds()
    cli_seeds()
    schedule_seeds()
    api_request_seeds()
    rest_spec_seeds()
    rest_page_seeds()
