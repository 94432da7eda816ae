-- Stand-in pg_net: requests are recorded in net.http_request_queue, never sent.
CREATE SCHEMA net;

CREATE TABLE net.http_request_queue (
  id bigserial PRIMARY KEY,
  method text NOT NULL,
  url text NOT NULL,
  headers jsonb NOT NULL,
  body jsonb,
  timeout_milliseconds integer NOT NULL
);

CREATE FUNCTION net.http_get(
  url text,
  params jsonb DEFAULT '{}'::jsonb,
  headers jsonb DEFAULT '{}'::jsonb,
  timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  VALUES ('GET', url, headers, NULL, timeout_milliseconds)
  RETURNING id
$$;

CREATE FUNCTION net.http_post(
  url text,
  body jsonb DEFAULT '{}'::jsonb,
  params jsonb DEFAULT '{}'::jsonb,
  headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  VALUES ('POST', url, headers, body, timeout_milliseconds)
  RETURNING id
$$;
