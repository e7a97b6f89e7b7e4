-- wrk: POST /v1/completions with a completion request of about 1.5 KB (a prompt and a suffix).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local prompt = string.rep("def f(x):\\n    return x + 1\\n", 40)
wrk.body = '{"model":"infilld","prompt":"' .. prompt .. '","suffix":"\\n\\nprint(f(2))\\n","max_tokens":16}'
