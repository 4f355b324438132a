"""The test suite. A package, so that test modules in different folders may share a name
(tests/workers/test_api.py, tests/companies/test_api.py) and helpers import as tests.support.…"""
