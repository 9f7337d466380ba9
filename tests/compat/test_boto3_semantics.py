"""test_boto3_semantics.py - finer documented DynamoDB rules, seen through boto3.

Each test states one rule from the DynamoDB API reference or developer guide that a
program (or backcheck's own retrying client) can notice: transaction idempotency tokens,
read consistency on global secondary indexes, the canonical form of numbers, and the
validation of keys, sets, expression values and sizes.

Run: BACKCHECK_BIN=build/backcheck python3 tests/compat/test_boto3_semantics.py
Exits 77 (skipped) when boto3 is not importable.
"""

import sys
import unittest
import uuid

import emuserver

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    print("boto3 not found: skipping", flush=True)
    sys.exit(emuserver.SKIP)

SERVER = None
C = None
WAIT = {"Delay": 0.1, "MaxAttempts": 100}


def setUpModule():
    global SERVER, C
    SERVER = emuserver.EmuServer(emuserver.backcheck_bin()).start()
    C = boto3.client("dynamodb", endpoint_url=SERVER.endpoint, region_name=emuserver.REGION,
                     aws_access_key_id=emuserver.ACCESS_KEY,
                     aws_secret_access_key=emuserver.SECRET_KEY,
                     config=botocore.config.Config(retries={"mode": "legacy"}))


def tearDownModule():
    SERVER.stop()


def new_table(prefix, gsi=False):
    name = f"compat-{prefix}-{uuid.uuid4().hex[:8]}"
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    kw = {}
    if gsi:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [{"IndexName": "by-g",
                                         "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}}]
    C.create_table(TableName=name, AttributeDefinitions=attrs,
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   BillingMode="PAY_PER_REQUEST", **kw)
    C.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    return name


def error_code(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


class TransactionTokens(unittest.TestCase):
    """API reference, TransactWriteItems ClientRequestToken: "multiple identical calls have
    the same effect as one single call"; the same token with other parameters within 10
    minutes is an IdempotentParameterMismatch exception."""

    def setUp(self):
        self.t = new_table("tok")

    def add(self, token, n):
        return C.transact_write_items(ClientRequestToken=token, TransactItems=[
            {"Update": {"TableName": self.t, "Key": {"pk": {"S": "ctr"}},
                        "UpdateExpression": "ADD n :d",
                        "ExpressionAttributeValues": {":d": {"N": str(n)}}}}])

    def count(self):
        return C.get_item(TableName=self.t, Key={"pk": {"S": "ctr"}},
                          ConsistentRead=True)["Item"]["n"]["N"]

    def test_repeated_token_applies_once(self):
        token = uuid.uuid4().hex
        self.add(token, 1)
        self.add(token, 1)  # a retry after a lost answer: must succeed and change nothing
        self.assertEqual(self.count(), "1")
        self.add(uuid.uuid4().hex, 1)  # another token is another transaction
        self.assertEqual(self.count(), "2")

    def test_token_reused_with_other_parameters_is_mismatch(self):
        token = uuid.uuid4().hex
        self.add(token, 1)
        with self.assertRaises(C.exceptions.IdempotentParameterMismatchException):
            self.add(token, 5)
        self.assertEqual(self.count(), "1")


class IndexReads(unittest.TestCase):
    """API reference, Query/Scan ConsistentRead: "Strongly consistent reads are not supported
    on global secondary indexes ... you will receive a ValidationException"."""

    @classmethod
    def setUpClass(cls):
        cls.t = new_table("gsi", gsi=True)
        C.put_item(TableName=cls.t, Item={"pk": {"S": "a"}, "g": {"S": "x"}})

    def test_eventually_consistent_index_reads_work(self):
        self.assertEqual(C.query(TableName=self.t, IndexName="by-g", KeyConditionExpression="g = :g",
                                 ExpressionAttributeValues={":g": {"S": "x"}})["Count"], 1)
        self.assertEqual(C.scan(TableName=self.t, IndexName="by-g")["Count"], 1)

    def test_consistent_query_on_gsi_is_rejected(self):
        self.assertEqual(error_code(C.query, TableName=self.t, IndexName="by-g",
                                    KeyConditionExpression="g = :g", ConsistentRead=True,
                                    ExpressionAttributeValues={":g": {"S": "x"}}),
                         "ValidationException")

    def test_consistent_scan_on_gsi_is_rejected(self):
        self.assertEqual(error_code(C.scan, TableName=self.t, IndexName="by-g",
                                    ConsistentRead=True), "ValidationException")


class Numbers(unittest.TestCase):
    """Developer guide, data types, Number: "Leading and trailing zeroes are trimmed"; at most
    38 digits of precision."""

    @classmethod
    def setUpClass(cls):
        cls.t = new_table("num")

    def test_numbers_come_back_trimmed(self):
        given = ["1.50", "007", "-0.000100", "100", "0.0", "-00012.3400"]
        want = ["1.5", "7", "-0.0001", "100", "0", "-12.34"]
        C.put_item(TableName=self.t, Item={"pk": {"S": "n"},
                                           "l": {"L": [{"N": v} for v in given]},
                                           "top": {"N": "2.500"}})
        got = C.get_item(TableName=self.t, Key={"pk": {"S": "n"}}, ConsistentRead=True)["Item"]
        self.assertEqual(got["top"], {"N": "2.5"})
        self.assertEqual([v["N"] for v in got["l"]["L"]], want)

    def test_numbers_compare_by_value(self):
        C.put_item(TableName=self.t, Item={"pk": {"S": "k"}, "v": {"N": "1.0"}})
        self.assertEqual(error_code(C.put_item, TableName=self.t,
                                    Item={"pk": {"S": "k"}, "v": {"N": "1"}},
                                    ConditionExpression="v <> :one",
                                    ExpressionAttributeValues={":one": {"N": "1.00"}}),
                         "ConditionalCheckFailedException")

    def test_more_than_38_digits_is_rejected(self):
        self.assertEqual(error_code(C.put_item, TableName=self.t,
                                    Item={"pk": {"S": "big"}, "v": {"N": "1" * 39}}),
                         "ValidationException")


class Validation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = new_table("val")

    def test_key_attributes_cannot_be_updated(self):
        C.put_item(TableName=self.t, Item={"pk": {"S": "a"}})
        self.assertEqual(error_code(C.update_item, TableName=self.t, Key={"pk": {"S": "a"}},
                                    UpdateExpression="SET pk = :b",
                                    ExpressionAttributeValues={":b": {"S": "b"}}),
                         "ValidationException")

    def test_sets_must_be_non_empty_and_unique(self):
        for bad in ({"SS": []}, {"SS": ["x", "x"]}, {"NS": ["1", "1"]}):
            self.assertEqual(error_code(C.put_item, TableName=self.t,
                                        Item={"pk": {"S": "s"}, "v": bad}),
                             "ValidationException", f"set {bad} accepted")

    def test_unused_expression_values_are_rejected(self):
        self.assertEqual(error_code(C.put_item, TableName=self.t, Item={"pk": {"S": "u"}},
                                    ConditionExpression="attribute_not_exists(pk)",
                                    ExpressionAttributeValues={":unused": {"S": "x"}}),
                         "ValidationException")

    def test_items_over_400_kb_are_rejected(self):
        self.assertEqual(error_code(C.put_item, TableName=self.t,
                                    Item={"pk": {"S": "big"}, "v": {"S": "x" * (400 * 1024)}}),
                         "ValidationException")
        self.assertNotIn("Item", C.get_item(TableName=self.t, Key={"pk": {"S": "big"}}))


if __name__ == "__main__":
    unittest.main(verbosity=2)
