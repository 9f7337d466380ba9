"""test_boto3_resource.py - boto3's high-level DynamoDB resource against `backcheck serve`.

The resource layer adds what most Python programs use: Table objects with their waiters,
Python values (Decimal, bytes, sets, dicts) marshalled to AttributeValues and back,
Key/Attr condition builders, the batch_writer, and modeled exceptions raised from
table.meta.client. The same flows as the low-level test, seen from that side.

Run: BACKCHECK_BIN=build/backcheck python3 tests/compat/test_boto3_resource.py
Exits 77 (skipped) when boto3 is not importable.
"""

import datetime
import decimal
import sys
import time
import unittest
import uuid

import emuserver

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    from boto3.dynamodb.conditions import Attr, Key
except ImportError:
    print("boto3 not found: skipping", flush=True)
    sys.exit(emuserver.SKIP)

SERVER = None
DB = None

WAIT = {"Delay": 0.1, "MaxAttempts": 100}


def setUpModule():
    global SERVER, DB
    SERVER = emuserver.EmuServer(emuserver.backcheck_bin()).start()
    DB = boto3.resource("dynamodb", endpoint_url=SERVER.endpoint, region_name=emuserver.REGION,
                        aws_access_key_id=emuserver.ACCESS_KEY,
                        aws_secret_access_key=emuserver.SECRET_KEY,
                        config=botocore.config.Config(retries={"mode": "legacy"}))


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"backcheck serve exited {rc} on SIGTERM:\n{SERVER.output()}")


def unique(prefix):
    return f"compat-{prefix}-{uuid.uuid4().hex[:8]}"


def new_table(prefix, gsi=False):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"},
             {"AttributeName": "sk", "AttributeType": "N"}]
    kwargs = {}
    if gsi:
        attrs.append({"AttributeName": "email", "AttributeType": "S"})
        kwargs["GlobalSecondaryIndexes"] = [{
            "IndexName": "by-email",
            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }]
    t = DB.create_table(TableName=unique(prefix), AttributeDefinitions=attrs,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        BillingMode="PAY_PER_REQUEST", **kwargs)
    t.meta.client.get_waiter("table_exists").wait(TableName=t.name, WaiterConfig=WAIT)
    t.reload()
    return t


class TableResource(unittest.TestCase):
    def test_create_load_list_delete(self):
        t = new_table("res-life", gsi=True)
        self.assertEqual(t.table_status, "ACTIVE")
        self.assertEqual(t.key_schema[0], {"AttributeName": "pk", "KeyType": "HASH"})
        self.assertEqual(t.global_secondary_indexes[0]["IndexName"], "by-email")
        self.assertEqual(t.item_count, 0)
        self.assertIn(t.name, [x.name for x in DB.tables.page_size(1).all()])

        t.put_item(Item={"pk": "u1", "sk": 1, "email": "a@example.com"})
        got = t.query(IndexName="by-email", KeyConditionExpression=Key("email").eq("a@example.com"))
        self.assertEqual(got["Items"], [{"pk": "u1", "sk": decimal.Decimal(1),
                                         "email": "a@example.com"}])

        t.delete()
        t.wait_until_not_exists(WaiterConfig=WAIT)
        with self.assertRaises(DB.meta.client.exceptions.ResourceNotFoundException):
            t.reload()


class ItemsThroughResource(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = new_table("res-items")

    def test_python_values_round_trip(self):
        item = {"pk": "types", "sk": 1, "dec": decimal.Decimal("3.14159265358979323846"),
                "big": decimal.Decimal("12345678901234567890123456789012345678"),
                "neg": -7, "bin": b"\x00\x01\xfe", "ss": {"a", "b"},
                "ns": {decimal.Decimal(1), decimal.Decimal("2.5")}, "bs": {b"x", b"y"},
                "map": {"nested": {"list": [1, "two", None, True, {"k": "v"}]}},
                "empty_s": "", "null": None}
        self.t.put_item(Item=item)
        got = self.t.get_item(Key={"pk": "types", "sk": 1}, ConsistentRead=True)["Item"]
        expect = dict(item)
        expect["neg"] = decimal.Decimal(-7)
        expect["sk"] = decimal.Decimal(1)
        expect["map"] = {"nested": {"list": [decimal.Decimal(1), "two", None, True,
                                             {"k": "v"}]}}
        got["bin"] = bytes(got["bin"].value)
        got["bs"] = {bytes(b.value) for b in got["bs"]}
        self.assertEqual(got, expect)

    def test_update_with_condition_builders(self):
        t = self.t
        t.put_item(Item={"pk": "ctr", "sk": 1, "n": 5, "state": "open"})
        r = t.update_item(Key={"pk": "ctr", "sk": 1}, UpdateExpression="ADD n :d",
                          ConditionExpression=Attr("state").eq("open") & Attr("n").lt(10),
                          ExpressionAttributeValues={":d": 3}, ReturnValues="UPDATED_NEW")
        self.assertEqual(r["Attributes"], {"n": decimal.Decimal(8)})
        with self.assertRaises(t.meta.client.exceptions.ConditionalCheckFailedException):
            t.update_item(Key={"pk": "ctr", "sk": 1}, UpdateExpression="ADD n :d",
                          ConditionExpression=Attr("n").lt(8),
                          ExpressionAttributeValues={":d": 100})
        with self.assertRaises(t.meta.client.exceptions.ConditionalCheckFailedException):
            t.put_item(Item={"pk": "ctr", "sk": 1}, ConditionExpression=Attr("pk").not_exists())
        got = t.get_item(Key={"pk": "ctr", "sk": 1}, ConsistentRead=True)["Item"]
        self.assertEqual(got["n"], 8)
        r = t.delete_item(Key={"pk": "ctr", "sk": 1}, ReturnValues="ALL_OLD",
                          ConditionExpression=Attr("state").begins_with("op"))
        self.assertEqual(r["Attributes"]["state"], "open")
        self.assertNotIn("Item", t.get_item(Key={"pk": "ctr", "sk": 1}, ConsistentRead=True))


class BatchWriterQueryScan(unittest.TestCase):
    def test_batch_writer_then_query_and_scan(self):
        t = new_table("res-batch")
        with t.batch_writer() as bw:  # 60 puts: three BatchWriteItem calls of <= 25
            for i in range(60):
                bw.put_item(Item={"pk": f"g{i % 3}", "sk": i, "even": i % 2 == 0})
        with t.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as bw:
            for i in range(0, 60, 10):
                bw.delete_item(Key={"pk": f"g{i % 3}", "sk": i})

        sks, start, pages = [], None, 0
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            r = t.query(KeyConditionExpression=Key("pk").eq("g0") & Key("sk").between(0, 59),
                        Limit=4, **kw)
            sks.extend(int(i["sk"]) for i in r["Items"])
            pages += 1
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(sks, [i for i in range(0, 60, 3) if i % 10 != 0])
        self.assertGreater(pages, 3)

        r = t.scan(FilterExpression=Attr("even").eq(True) & Attr("pk").is_in(["g1", "g2"]),
                   ConsistentRead=True)
        want = sorted(i for i in range(60) if i % 2 == 0 and i % 3 != 0 and i % 10 != 0)
        self.assertEqual(sorted(int(i["sk"]) for i in r["Items"]), want)
        self.assertEqual(r["ScannedCount"], 54)


class TransactionsThroughResourceClient(unittest.TestCase):
    def test_canceled_transaction_reasons(self):
        t = new_table("res-txn")
        c = t.meta.client
        t.put_item(Item={"pk": "a", "sk": 1, "v": 1})
        with self.assertRaises(c.exceptions.TransactionCanceledException) as cm:
            c.transact_write_items(TransactItems=[
                # The resource's client marshals Python values, as Table methods do.
                {"Put": {"TableName": t.name, "Item": {"pk": "a", "sk": 1, "v": 2},
                         "ConditionExpression": "v = :one",
                         "ExpressionAttributeValues": {":one": 1}}},
                {"Put": {"TableName": t.name, "Item": {"pk": "b", "sk": 1},
                         "ConditionExpression": "attribute_exists(pk)",
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            ])
        codes = [r["Code"] for r in cm.exception.response["CancellationReasons"]]
        self.assertEqual(codes, ["None", "ConditionalCheckFailed"])
        self.assertEqual(t.get_item(Key={"pk": "a", "sk": 1}, ConsistentRead=True)["Item"]["v"],
                         1, "a canceled transaction applied its first action")


class BackupsThroughResourceClient(unittest.TestCase):
    def test_backup_restore_and_pitr(self):
        t = new_table("res-bk")
        c = t.meta.client
        c.update_continuous_backups(
            TableName=t.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for i in range(5):
            t.put_item(Item={"pk": "k", "sk": i})
        arn = c.create_backup(TableName=t.name, BackupName="res")["BackupDetails"]["BackupArn"]
        t.put_item(Item={"pk": "k", "sk": 99})
        deadline = time.monotonic() + 20
        while c.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
                "BackupStatus"] != "AVAILABLE":
            self.assertLess(time.monotonic(), deadline, "backup never AVAILABLE")
            time.sleep(0.05)
        summaries = [s for p in c.get_paginator("list_backups").paginate(TableName=t.name)
                     for s in p["BackupSummaries"]]
        self.assertEqual([s["BackupArn"] for s in summaries], [arn])
        self.assertIsInstance(summaries[0]["BackupCreationDateTime"], datetime.datetime)

        restored = DB.Table(unique("res-bk-dst"))
        c.restore_table_from_backup(TargetTableName=restored.name, BackupArn=arn)
        restored.wait_until_exists(WaiterConfig=WAIT)
        self.assertEqual(sorted(int(i["sk"]) for i in restored.scan(ConsistentRead=True)["Items"]),
                         [0, 1, 2, 3, 4])

        latest = DB.Table(unique("res-pitr-dst"))
        c.restore_table_to_point_in_time(SourceTableName=t.name, TargetTableName=latest.name,
                                          UseLatestRestorableTime=True)
        latest.wait_until_exists(WaiterConfig=WAIT)
        self.assertEqual(sorted(int(i["sk"]) for i in latest.scan(ConsistentRead=True)["Items"]),
                         [0, 1, 2, 3, 4, 99])
        c.delete_backup(BackupArn=arn)
        with self.assertRaises(c.exceptions.BackupNotFoundException):
            c.delete_backup(BackupArn=arn)


class SignatureThroughResource(unittest.TestCase):
    def test_wrong_secret_rejected_and_nothing_written(self):
        t = new_table("res-sig")
        bad = boto3.resource("dynamodb", endpoint_url=SERVER.endpoint,
                             region_name=emuserver.REGION, aws_access_key_id=emuserver.ACCESS_KEY,
                             aws_secret_access_key="wrong-secret")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bad.Table(t.name).put_item(Item={"pk": "forged", "sk": 1})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidSignatureException")
        self.assertEqual(t.scan(ConsistentRead=True)["Items"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
