"""test_boto3_client.py - boto3's low-level DynamoDB client against `backcheck serve`.

What a user of the emulator relies on when pointing an unmodified boto3 program at it:
the table life cycle with waiters, item writes with condition/update expressions and
ReturnValues, paginators, parallel scan, batches, transactions (with botocore's parsed
CancellationReasons), modeled exceptions, on-demand backups and restores, PITR, SigV4
rejection, and the x-amz-crc32 response checksum that botocore verifies.

Run: BACKCHECK_BIN=build/backcheck python3 tests/compat/test_boto3_client.py
Exits 77 (skipped) when boto3 is not importable.
"""

import datetime
import http.client
import http.server
import sys
import threading
import time
import unittest
import uuid
import zlib

import emuserver

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    print("boto3 not found: skipping", flush=True)
    sys.exit(emuserver.SKIP)

SERVER = None

# Legacy retries raise botocore.exceptions.ChecksumError when x-amz-crc32 does not match the
# body (standard mode would retry and then accept it), so every response of every test here
# is checksum-verified.
RETRY_CONFIG = botocore.config.Config(retries={"mode": "legacy", "max_attempts": 3})


def setUpModule():
    global SERVER
    SERVER = emuserver.EmuServer(emuserver.backcheck_bin()).start()


def tearDownModule():
    rc = SERVER.stop()
    if rc != 0:
        raise AssertionError(f"backcheck serve exited {rc} on SIGTERM:\n{SERVER.output()}")


def make_client(endpoint=None, key=emuserver.ACCESS_KEY, secret=emuserver.SECRET_KEY,
                config=RETRY_CONFIG):
    return boto3.client("dynamodb", endpoint_url=endpoint or SERVER.endpoint,
                        region_name=emuserver.REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=config)


def unique(prefix):
    return f"compat-{prefix}-{uuid.uuid4().hex[:8]}"


def wait_backup_available(client, arn, timeout_s=20):
    """No waiter exists for backups; poll DescribeBackup as AWS's docs suggest."""
    deadline = time.monotonic() + timeout_s
    while True:
        d = client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
        if d["BackupStatus"] == "AVAILABLE":
            return d
        if d["BackupStatus"] != "CREATING" or time.monotonic() > deadline:
            raise AssertionError(f"backup {arn} is {d['BackupStatus']}")
        time.sleep(0.05)


def waiter_config():
    # The default table_exists waiter polls every 20 s; the emulator is ACTIVE in ~20 ms.
    return {"Delay": 0.1, "MaxAttempts": 100}


def create_simple_table(client, name, range_key=True):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    client.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=keys,
                        BillingMode="PAY_PER_REQUEST")
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=waiter_config())


def scan_all(client, table):
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


class TableLifeCycle(unittest.TestCase):
    def test_create_with_gsi_wait_describe_delete(self):
        c = make_client()
        name = unique("life")
        resp = c.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST")
        self.assertEqual(resp["TableDescription"]["TableName"], name)
        self.assertIn(resp["TableDescription"]["TableStatus"], ("CREATING", "ACTIVE"))
        c.get_waiter("table_exists").wait(TableName=name, WaiterConfig=waiter_config())

        t = c.describe_table(TableName=name)["Table"]
        self.assertEqual(t["TableStatus"], "ACTIVE")
        self.assertEqual(t["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertTrue(t["TableArn"].startswith("arn:aws:dynamodb:us-east-1:"))
        self.assertTrue(t["TableArn"].endswith(":table/" + name))
        self.assertEqual(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertIsInstance(t["CreationDateTime"], datetime.datetime)
        gsis = t["GlobalSecondaryIndexes"]
        self.assertEqual([g["IndexName"] for g in gsis], ["by-g"])
        self.assertEqual(gsis[0]["IndexStatus"], "ACTIVE")

        # The GSI answers queries.
        c.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}})
        c.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"N": "2"}, "g": {"S": "x"}})
        c.put_item(TableName=name, Item={"pk": {"S": "c"}, "sk": {"N": "3"}, "g": {"S": "y"}})
        q = c.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "x"}})
        self.assertEqual(sorted(i["pk"]["S"] for i in q["Items"]), ["a", "b"])

        c.delete_table(TableName=name)
        c.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=waiter_config())
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_table(TableName=name)

    def test_list_tables_paginator(self):
        c = make_client()
        prefix = unique("list")
        names = [f"{prefix}-{i}" for i in range(5)]
        for n in names:
            create_simple_table(c, n, range_key=False)
        pages = list(c.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}))
        self.assertGreaterEqual(len(pages), 3)
        for p in pages[:-1]:
            self.assertLessEqual(len(p["TableNames"]), 2)
            self.assertIn("LastEvaluatedTableName", p)
        self.assertNotIn("LastEvaluatedTableName", pages[-1])
        listed = [n for p in pages for n in p["TableNames"]]
        self.assertEqual(len(listed), len(set(listed)), "a table listed twice across pages")
        self.assertEqual(listed, sorted(listed), "ListTables is in name order")
        for n in names:
            self.assertIn(n, listed)
        for n in names:
            c.delete_table(TableName=n)

    def test_create_existing_table_is_resource_in_use(self):
        c = make_client()
        name = unique("dup")
        create_simple_table(c, name)
        with self.assertRaises(c.exceptions.ResourceInUseException):
            create_simple_table(c, name)


class Items(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = make_client()
        cls.table = unique("items")
        create_simple_table(cls.c, cls.table)

    def key(self, pk, sk=1):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    def test_put_get_return_values(self):
        c, t = self.c, self.table
        item = dict(self.key("p1"), n={"N": "1.50"}, b={"B": b"\x00\xff"},
                    ss={"SS": ["x", "y"]}, m={"M": {"l": {"L": [{"S": "a"}, {"NULL": True}]}}},
                    t={"BOOL": True})
        r = c.put_item(TableName=t, Item=item, ReturnValues="ALL_OLD")
        self.assertNotIn("Attributes", r, "no old item: no Attributes")
        got = c.get_item(TableName=t, Key=self.key("p1"), ConsistentRead=True)["Item"]
        self.assertEqual(got["b"], {"B": b"\x00\xff"})
        self.assertEqual(got["m"], item["m"])
        self.assertEqual(sorted(got["ss"]["SS"]), ["x", "y"])
        self.assertEqual(float(got["n"]["N"]), 1.5)
        self.assertEqual(got["t"], {"BOOL": True})

        r = c.put_item(TableName=t, Item=dict(self.key("p1"), v={"S": "new"}),
                       ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["t"], {"BOOL": True})
        got = c.get_item(TableName=t, Key=self.key("p1"), ConsistentRead=True)["Item"]
        self.assertEqual(got, dict(self.key("p1"), v={"S": "new"}), "PutItem replaces")

        got = c.get_item(TableName=t, Key=self.key("p1"), ProjectionExpression="#v",
                         ExpressionAttributeNames={"#v": "v"})["Item"]
        self.assertEqual(got, {"v": {"S": "new"}})
        self.assertNotIn("Item", c.get_item(TableName=t, Key=self.key("absent")))

    def test_update_with_condition_and_return_values(self):
        c, t = self.c, self.table
        k = self.key("u1")
        r = c.update_item(TableName=t, Key=k, UpdateExpression="SET #c = :one, tags = :t",
                          ConditionExpression="attribute_not_exists(pk)",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":one": {"N": "1"},
                                                     ":t": {"L": [{"S": "a"}]}},
                          ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"]["count"], {"N": "1"})
        self.assertEqual(r["Attributes"]["pk"], {"S": "u1"})

        r = c.update_item(TableName=t, Key=k,
                          UpdateExpression="SET #c = #c + :inc, tags = list_append(tags, :more) "
                                           "REMOVE gone ADD s :s",
                          ConditionExpression="#c = :expect",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":inc": {"N": "2"}, ":expect": {"N": "1"},
                                                     ":more": {"L": [{"S": "b"}]},
                                                     ":s": {"SS": ["z"]}},
                          ReturnValues="UPDATED_OLD")
        self.assertEqual(r["Attributes"], {"count": {"N": "1"}, "tags": {"L": [{"S": "a"}]}})

        with self.assertRaises(c.exceptions.ConditionalCheckFailedException) as cm:
            c.update_item(TableName=t, Key=k, UpdateExpression="SET #c = :z",
                          ConditionExpression="#c = :expect",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":z": {"N": "0"}, ":expect": {"N": "1"}},
                          ReturnValuesOnConditionCheckFailure="ALL_OLD")
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "ConditionalCheckFailedException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(err["Item"]["count"], {"N": "3"}, "the old item comes back")

        got = c.get_item(TableName=t, Key=k, ConsistentRead=True)["Item"]
        self.assertEqual(got["count"], {"N": "3"}, "a failed condition writes nothing")
        self.assertEqual(got["tags"], {"L": [{"S": "a"}, {"S": "b"}]})
        self.assertEqual(got["s"], {"SS": ["z"]})

    def test_conditional_put_is_modeled_exception(self):
        c, t = self.c, self.table
        k = self.key("c1")
        c.put_item(TableName=t, Item=dict(k, v={"S": "first"}))
        try:
            c.put_item(TableName=t, Item=dict(k, v={"S": "second"}),
                       ConditionExpression="attribute_not_exists(pk)")
        except botocore.exceptions.ClientError as e:
            self.assertIsInstance(e, c.exceptions.ConditionalCheckFailedException,
                                  f"got {type(e).__name__}: {e}")
            self.assertEqual(e.response["Error"]["Code"], "ConditionalCheckFailedException")
        else:
            self.fail("conditional put over an existing item succeeded")
        got = c.get_item(TableName=t, Key=k, ConsistentRead=True)["Item"]
        self.assertEqual(got["v"], {"S": "first"})

    def test_delete_return_values_and_condition(self):
        c, t = self.c, self.table
        k = self.key("d1")
        c.put_item(TableName=t, Item=dict(k, v={"S": "x"}))
        with self.assertRaises(c.exceptions.ConditionalCheckFailedException):
            c.delete_item(TableName=t, Key=k, ConditionExpression="v = :y",
                          ExpressionAttributeValues={":y": {"S": "y"}})
        r = c.delete_item(TableName=t, Key=k, ConditionExpression="v = :x",
                          ExpressionAttributeValues={":x": {"S": "x"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"], dict(k, v={"S": "x"}))
        self.assertNotIn("Item", c.get_item(TableName=t, Key=k, ConsistentRead=True))
        r = c.delete_item(TableName=t, Key=k, ReturnValues="ALL_OLD")
        self.assertNotIn("Attributes", r, "deleting a missing item returns nothing")

    def test_validation_errors_are_modeled(self):
        c, t = self.c, self.table
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.put_item(TableName=t, Item={"pk": {"S": "only-hash"}})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.get_item(TableName=unique("missing"), Key=self.key("x"))


class QueryScan(unittest.TestCase):
    N = 40

    @classmethod
    def setUpClass(cls):
        cls.c = make_client()
        cls.table = unique("qs")
        create_simple_table(cls.c, cls.table)
        for i in range(cls.N):
            cls.c.put_item(TableName=cls.table,
                           Item={"pk": {"S": "hot" if i < 25 else f"cold{i}"},
                                 "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}})

    def test_query_paginator_in_order(self):
        pages = list(self.c.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression="pk = :p AND sk >= :lo",
            ExpressionAttributeValues={":p": {"S": "hot"}, ":lo": {"N": "3"}},
            PaginationConfig={"PageSize": 7}))
        sks = [int(i["sk"]["N"]) for p in pages for i in p["Items"]]
        self.assertEqual(sks, list(range(3, 25)))
        self.assertGreaterEqual(len(pages), 4)
        for p in pages[:-1]:
            self.assertIn("LastEvaluatedKey", p)
            self.assertLessEqual(p["Count"], 7)

        desc = self.c.query(TableName=self.table, KeyConditionExpression="pk = :p",
                            ExpressionAttributeValues={":p": {"S": "hot"}},
                            ScanIndexForward=False, Limit=3)
        self.assertEqual([int(i["sk"]["N"]) for i in desc["Items"]], [24, 23, 22])
        self.assertEqual(desc["LastEvaluatedKey"], {"pk": {"S": "hot"}, "sk": {"N": "22"}})

    def test_query_filter_counts(self):
        r = self.c.query(TableName=self.table, KeyConditionExpression="pk = :p",
                         FilterExpression="odd = :t",
                         ExpressionAttributeValues={":p": {"S": "hot"}, ":t": {"BOOL": True}})
        self.assertEqual(r["ScannedCount"], 25)
        self.assertEqual(r["Count"], 12)
        r = self.c.query(TableName=self.table, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "hot"}}, Select="COUNT")
        self.assertEqual(r["Count"], 25)
        self.assertNotIn("Items", r)

    def test_scan_paginator_sees_every_item_once(self):
        pages = list(self.c.get_paginator("scan").paginate(
            TableName=self.table, PaginationConfig={"PageSize": 6}))
        keys = [(i["pk"]["S"], int(i["sk"]["N"])) for p in pages for i in p["Items"]]
        self.assertEqual(len(keys), self.N)
        self.assertEqual(len(set(keys)), self.N)
        self.assertGreaterEqual(len(pages), self.N // 6)

    def test_parallel_scan_segments_partition_the_table(self):
        total = 4
        seen = []
        for seg in range(total):
            got = []
            for p in self.c.get_paginator("scan").paginate(
                    TableName=self.table, Segment=seg, TotalSegments=total,
                    PaginationConfig={"PageSize": 5}):
                got.extend((i["pk"]["S"], int(i["sk"]["N"])) for i in p["Items"])
            seen.append(got)
        flat = [k for s in seen for k in s]
        self.assertEqual(len(flat), self.N, "segments overlap or miss items")
        self.assertEqual(len(set(flat)), self.N)
        # Items of one partition key stay in one segment (DynamoDB hashes the partition key).
        hot_segments = {i for i, s in enumerate(seen) if any(k[0] == "hot" for k in s)}
        self.assertEqual(len(hot_segments), 1)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.c.scan(TableName=self.table, Segment=4, TotalSegments=4)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")


class Batches(unittest.TestCase):
    def test_batch_write_and_get(self):
        c = make_client()
        t = unique("batch")
        create_simple_table(c, t)
        puts = [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}}
                for i in range(25)]
        r = c.batch_write_item(RequestItems={t: puts})
        self.assertEqual(r["UnprocessedItems"], {})
        self.assertEqual(len(scan_all(c, t)), 25)

        dels = [{"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}}
                for i in range(10)]
        r = c.batch_write_item(RequestItems={t: dels})
        self.assertEqual(r["UnprocessedItems"], {})
        self.assertEqual(sorted(int(i["sk"]["N"]) for i in scan_all(c, t)), list(range(10, 25)))

        keys = [{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in (5, 10, 11)]
        r = c.batch_get_item(RequestItems={t: {"Keys": keys, "ConsistentRead": True}})
        self.assertEqual(sorted(int(i["sk"]["N"]) for i in r["Responses"][t]), [10, 11])
        self.assertEqual(r["UnprocessedKeys"], {})

        too_many = puts + [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "99"}}}}]
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.batch_write_item(RequestItems={t: too_many})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertNotIn("Item", c.get_item(TableName=t, Key={"pk": {"S": "b"},
                                                              "sk": {"N": "99"}}))


class Transactions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = make_client()
        cls.table = unique("txn")
        create_simple_table(cls.c, cls.table, range_key=False)

    def get(self, pk):
        return self.c.get_item(TableName=self.table, Key={"pk": {"S": pk}},
                               ConsistentRead=True).get("Item")

    def test_transact_write_success(self):
        c, t = self.c, self.table
        c.put_item(TableName=t, Item={"pk": {"S": "acct-a"}, "bal": {"N": "100"}})
        c.put_item(TableName=t, Item={"pk": {"S": "doomed"}})
        c.transact_write_items(TransactItems=[
            {"Update": {"TableName": t, "Key": {"pk": {"S": "acct-a"}},
                        "UpdateExpression": "SET bal = bal - :x",
                        "ConditionExpression": "bal >= :x",
                        "ExpressionAttributeValues": {":x": {"N": "30"}}}},
            {"Put": {"TableName": t, "Item": {"pk": {"S": "acct-b"}, "bal": {"N": "30"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Delete": {"TableName": t, "Key": {"pk": {"S": "doomed"}}}},
        ], ClientRequestToken=uuid.uuid4().hex)
        self.assertEqual(self.get("acct-a")["bal"], {"N": "70"})
        self.assertEqual(self.get("acct-b")["bal"], {"N": "30"})
        self.assertIsNone(self.get("doomed"))

        r = c.transact_get_items(TransactItems=[
            {"Get": {"TableName": t, "Key": {"pk": {"S": "acct-a"}}}},
            {"Get": {"TableName": t, "Key": {"pk": {"S": "nobody"}}}},
        ])
        self.assertEqual(r["Responses"][0]["Item"]["bal"], {"N": "70"})
        self.assertEqual(r["Responses"][1], {})

    def test_transact_write_canceled_with_reasons(self):
        c, t = self.c, self.table
        c.put_item(TableName=t, Item={"pk": {"S": "exists"}, "v": {"N": "1"}})
        c.put_item(TableName=t, Item={"pk": {"S": "other"}})
        with self.assertRaises(c.exceptions.TransactionCanceledException) as cm:
            c.transact_write_items(TransactItems=[
                {"Put": {"TableName": t, "Item": {"pk": {"S": "would-be-new"}}}},
                {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "exists"}},
                                    "ConditionExpression": "attribute_not_exists(pk)",
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Update": {"TableName": t, "Key": {"pk": {"S": "other"}},
                            "UpdateExpression": "SET w = :w",
                            "ExpressionAttributeValues": {":w": {"S": "x"}}}},
            ])
        resp = cm.exception.response
        self.assertEqual(resp["Error"]["Code"], "TransactionCanceledException")
        self.assertIn("ConditionalCheckFailed", resp["Error"]["Message"])
        reasons = resp.get("CancellationReasons")
        self.assertIsNotNone(reasons, f"botocore parsed no CancellationReasons from {resp}")
        self.assertEqual([r["Code"] for r in reasons], ["None", "ConditionalCheckFailed", "None"])
        self.assertEqual(reasons[1]["Item"], {"pk": {"S": "exists"}, "v": {"N": "1"}})
        self.assertIsNone(self.get("would-be-new"), "a canceled transaction wrote")
        self.assertNotIn("w", self.get("other"))

    def test_two_actions_on_one_item_is_validation_error(self):
        c, t = self.c, self.table
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.transact_write_items(TransactItems=[
                {"Put": {"TableName": t, "Item": {"pk": {"S": "same"}}}},
                {"Delete": {"TableName": t, "Key": {"pk": {"S": "same"}}}},
            ])
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")


class Backups(unittest.TestCase):
    def test_backup_describe_list_restore_delete(self):
        c = make_client()
        src = unique("bsrc")
        create_simple_table(c, src)
        for i in range(10):
            c.put_item(TableName=src, Item={"pk": {"S": "k"}, "sk": {"N": str(i)}})
        arn = c.create_backup(TableName=src, BackupName="nightly")["BackupDetails"]["BackupArn"]
        # Written after the backup request: not in the backup (exact cut model).
        c.put_item(TableName=src, Item={"pk": {"S": "k"}, "sk": {"N": "100"}})

        d = wait_backup_available(c, arn)
        self.assertEqual(d["BackupName"], "nightly")
        self.assertEqual(d["BackupType"], "USER")
        self.assertIsInstance(d["BackupCreationDateTime"], datetime.datetime)
        desc = c.describe_backup(BackupArn=arn)["BackupDescription"]
        self.assertEqual(desc["SourceTableDetails"]["TableName"], src)
        self.assertEqual(desc["SourceTableDetails"]["KeySchema"][0]["AttributeName"], "pk")

        arns = [arn]
        for n in range(2):
            arns.append(c.create_backup(TableName=src, BackupName=f"more{n}")
                        ["BackupDetails"]["BackupArn"])
        for a in arns[1:]:
            wait_backup_available(c, a)
        pages = list(c.get_paginator("list_backups").paginate(
            TableName=src, PaginationConfig={"PageSize": 1}))
        listed = [s["BackupArn"] for p in pages for s in p["BackupSummaries"]]
        self.assertEqual(sorted(listed), sorted(arns))
        self.assertGreaterEqual(len(pages), 3)
        for s in (s for p in pages for s in p["BackupSummaries"]):
            self.assertEqual(s["TableName"], src)
            self.assertEqual(s["BackupStatus"], "AVAILABLE")

        dst = unique("bdst")
        r = c.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
        self.assertEqual(r["TableDescription"]["TableName"], dst)
        c.get_waiter("table_exists").wait(TableName=dst, WaiterConfig=waiter_config())
        t = c.describe_table(TableName=dst)["Table"]
        self.assertEqual(t["RestoreSummary"]["SourceBackupArn"], arn)
        self.assertTrue(t["RestoreSummary"]["RestoreInProgress"] is False)
        sks = sorted(int(i["sk"]["N"]) for i in scan_all(c, dst))
        self.assertEqual(sks, list(range(10)), "restore holds exactly the items before the cut")

        with self.assertRaises(c.exceptions.TableAlreadyExistsException):
            c.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)

        for a in arns:
            r = c.delete_backup(BackupArn=a)
            self.assertEqual(r["BackupDescription"]["BackupDetails"]["BackupStatus"], "DELETED")
        with self.assertRaises(c.exceptions.BackupNotFoundException):
            c.describe_backup(BackupArn=arn)
        self.assertEqual(c.list_backups(TableName=src)["BackupSummaries"], [])

    def test_point_in_time_restore(self):
        c = make_client()
        src = unique("pitr")
        create_simple_table(c, src, range_key=False)
        cb = c.describe_continuous_backups(TableName=src)["ContinuousBackupsDescription"]
        self.assertEqual(cb["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
                         "DISABLED")
        with self.assertRaises(c.exceptions.PointInTimeRecoveryUnavailableException):
            c.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=unique("x"),
                                             UseLatestRestorableTime=True)

        r = c.update_continuous_backups(
            TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        pd = r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        self.assertEqual(pd["PointInTimeRecoveryStatus"], "ENABLED")
        self.assertIsInstance(pd["EarliestRestorableDateTime"], datetime.datetime)

        c.put_item(TableName=src, Item={"pk": {"S": "before"}})
        # Restore to a whole second strictly between the two writes.
        time.sleep(1.0 - (time.time() % 1.0) + 0.2)
        when = datetime.datetime.fromtimestamp(int(time.time()), tz=datetime.timezone.utc)
        time.sleep(0.3)
        c.put_item(TableName=src, Item={"pk": {"S": "after"}})

        dst = unique("pitr-dst")
        r = c.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=dst,
                                             RestoreDateTime=when)
        self.assertEqual(r["TableDescription"]["TableName"], dst)
        c.get_waiter("table_exists").wait(TableName=dst, WaiterConfig=waiter_config())
        self.assertEqual([i["pk"]["S"] for i in scan_all(c, dst)], ["before"])
        rs = c.describe_table(TableName=dst)["Table"]["RestoreSummary"]
        self.assertEqual(rs["RestoreDateTime"], when)

        latest = unique("pitr-latest")
        c.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=latest,
                                          UseLatestRestorableTime=True)
        c.get_waiter("table_exists").wait(TableName=latest, WaiterConfig=waiter_config())
        self.assertEqual(sorted(i["pk"]["S"] for i in scan_all(c, latest)), ["after", "before"])

        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        with self.assertRaises(c.exceptions.InvalidRestoreTimeException):
            c.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=unique("f"),
                                             RestoreDateTime=future)


class Signatures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = make_client()
        cls.table = unique("sig")
        create_simple_table(cls.c, cls.table, range_key=False)

    def assert_rejected(self, client, code):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client.put_item(TableName=self.table, Item={"pk": {"S": "forged"}})
        self.assertEqual(cm.exception.response["Error"]["Code"], code)
        self.assertIn(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], (400, 403))
        self.assertNotIn("Item", self.c.get_item(TableName=self.table,
                                                 Key={"pk": {"S": "forged"}},
                                                 ConsistentRead=True),
                         "a rejected request was applied")

    def test_wrong_secret_is_invalid_signature(self):
        self.assert_rejected(make_client(secret="not-the-secret"), "InvalidSignatureException")

    def test_unknown_key_is_unrecognized_client(self):
        self.assert_rejected(make_client(key="AKIDUNKNOWN"), "UnrecognizedClientException")


class _CorruptingRelay(http.server.BaseHTTPRequestHandler):
    """Forwards one POST to the emulator and changes the x-amz-crc32 it answers with."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        up = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
        up.request("POST", self.path, body=body,
                   headers={k: v for k, v in self.headers.items() if k.lower() != "host"}
                   | {"Host": self.headers["Host"]})
        resp = up.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("content-length", "connection", "date", "transfer-encoding"):
                continue
            if k.lower() == "x-amz-crc32":
                v = str((int(v) + 1) & 0xFFFFFFFF)
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        up.close()

    def log_message(self, *args):
        pass


class Checksums(unittest.TestCase):
    def test_every_response_carries_a_matching_crc32(self):
        c = make_client()
        seen = []

        def record(response_dict, **_):
            seen.append((response_dict["status_code"], response_dict["headers"],
                         response_dict["body"]))

        c.meta.events.register("before-parse.dynamodb", record)
        t = unique("crc")
        create_simple_table(c, t, range_key=False)
        big = "é" * 3000  # multi-byte UTF-8 in a large body
        for i in range(20):
            c.put_item(TableName=t, Item={"pk": {"S": f"k{i}"}, "v": {"S": big}})
        self.assertEqual(len(scan_all(c, t)), 20)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_table(TableName=unique("nope"))
        self.assertGreater(len(seen), 20)
        for status, headers, body in seen:
            self.assertIn("x-amz-crc32", headers, f"status {status} response without a crc")
            self.assertEqual(int(headers["x-amz-crc32"]), zlib.crc32(body) & 0xFFFFFFFF)
            self.assertIn("x-amzn-requestid", {k.lower() for k in headers})

    def test_botocore_rejects_a_bad_crc32(self):
        # Proves the check above is live in this botocore: the same response with its
        # checksum changed in flight raises ChecksumError.
        relay = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CorruptingRelay)
        th = threading.Thread(target=relay.serve_forever, daemon=True)
        th.start()
        try:
            c = make_client(endpoint=f"http://127.0.0.1:{relay.server_address[1]}",
                            config=botocore.config.Config(
                                retries={"mode": "legacy", "max_attempts": 1}))
            with self.assertRaises(botocore.exceptions.ChecksumError):
                c.list_tables()
        finally:
            relay.shutdown()
            relay.server_close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
