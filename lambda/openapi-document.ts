// Generated from docs/openapi.yaml by `npm run openapi`; edit the YAML and run it again.

/** The OpenAPI 3.1 description of the API, served at /openapi.json. */
export const OPENAPI_DOCUMENT: Record<string, unknown> = {
  openapi: '3.1.0',
  info: {
    title: 'event-counts',
    version: '0.1.0',
    summary: 'Exact per-customer event counts by hour, day or whole range.',
    description:
      'Answers "how many events did customer X send in each bucket between A and B", exactly, from\npre-aggregated hourly counters in DynamoDB.\n\nAll times are UTC. A range is half-open, `[starting_at, ending_before)`, exact to the\nmillisecond: when a bound is not on a bucket edge, the first or last bucket is partial and\ncounts only the events inside the range. Every bucket of the range is present; buckets without\nevents count 0.\n\nTimestamps in query parameters: ISO-8601 / RFC 3339 with `T` or a space, `Z`, `±HH:MM`,\n`±HHMM` or `±HH` offsets, 0-9 fraction digits after a dot (kept to the millisecond), no offset\nmeaning UTC, or a bare date `YYYY-MM-DD` meaning midnight UTC, from 1970 to 9999 UTC. Timestamps\nin responses are always `YYYY-MM-DDTHH:MM:SS.sssZ`.\n\nQuery parameters: each at most once (a repeated parameter is a 400 naming it), none but those\nlisted for the path. Each parameter\'s schema states exactly what the API accepts, except what\ninvolves two of them: `ending_before` must be later than `starting_at`, and a range is limited\n(see `event_counts`).\n\nResponses of 1 KB or more are compressed (`br` or `gzip`) when `Accept-Encoding` allows it.\n\nErrors are JSON: `{"error": {"code": ..., "message": ...}}`. 4xx messages say what was wrong;\n500 and 503 carry a `request_id` and never internals. A path that is not listed here gets 404\nwith the code `not_found`; every route answers GET only (405 otherwise).\n',
    license: {
      name: 'MIT',
      identifier: 'MIT',
    },
  },
  servers: [
    {
      url: 'http://localhost:3000',
      description: 'npm start (the same Lambda handler behind a local HTTP server)',
    },
  ],
  tags: [
    {
      name: 'usage',
      description: 'Event counts and totals of one customer.',
    },
    {
      name: 'customers',
      description: 'The customers the loader has counted events for.',
    },
    {
      name: 'meta',
      description: 'This description and the usage page.',
    },
  ],
  paths: {
    '/v1/customers/{customer_id}/event_counts': {
      get: {
        operationId: 'getEventCounts',
        tags: ['usage'],
        summary: 'Events of one customer in each hour, day or the whole range',
        description:
          "Buckets are UTC clock hours (`window_size=hour`, the default), UTC days (`day`), or one\nbucket for the whole range (`none`). A range may cover at most 8,784 hourly buckets (366\ndays) with `hour`, and at most 3,653 UTC days (10 years) with `day` or `none`.\n\nWithout `starting_at` the range starts at the hour of the customer's first event; without\n`ending_before` it ends at the end of the hour of the customer's last event. When a bound\nis missing and the customer has no events the answer is 404 `customer_not_found`; with\nboth bounds an unknown customer gets zero-filled buckets.\n",
        parameters: [
          {
            $ref: '#/components/parameters/CustomerId',
          },
          {
            name: 'starting_at',
            in: 'query',
            required: false,
            description: "First instant counted (inclusive). Default the hour of the customer's first event.",
            schema: {
              $ref: '#/components/schemas/QueryTimestamp',
            },
            example: '2021-03-01T04:00:00Z',
          },
          {
            name: 'ending_before',
            in: 'query',
            required: false,
            description:
              "First instant not counted (exclusive), later than `starting_at`. Default the end of the\nhour of the customer's last event.\n",
            schema: {
              $ref: '#/components/schemas/QueryTimestamp',
            },
            example: '2021-03-01T06:30:00Z',
          },
          {
            name: 'window_size',
            in: 'query',
            required: false,
            description: 'Bucket size.',
            schema: {
              $ref: '#/components/schemas/WindowSize',
            },
          },
        ],
        responses: {
          '200': {
            description: 'One bucket per window of the range, with the total.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/EventCounts',
                },
                example: {
                  customer_id: 'b4f9279a0196e40632e947dd1a88e857',
                  starting_at: '2021-03-01T04:00:00.000Z',
                  ending_before: '2021-03-01T06:30:00.000Z',
                  window_size: 'hour',
                  total: 2310,
                  buckets: [
                    {
                      starting_at: '2021-03-01T04:00:00.000Z',
                      ending_before: '2021-03-01T05:00:00.000Z',
                      count: 408,
                    },
                    {
                      starting_at: '2021-03-01T05:00:00.000Z',
                      ending_before: '2021-03-01T06:00:00.000Z',
                      count: 1133,
                    },
                    {
                      starting_at: '2021-03-01T06:00:00.000Z',
                      ending_before: '2021-03-01T06:30:00.000Z',
                      count: 769,
                    },
                  ],
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/BadRequest',
          },
          '404': {
            $ref: '#/components/responses/CustomerNotFound',
          },
          '405': {
            $ref: '#/components/responses/MethodNotAllowed',
          },
          '500': {
            $ref: '#/components/responses/InternalError',
          },
          '503': {
            $ref: '#/components/responses/ServiceUnavailable',
          },
        },
      },
    },
    '/v1/customers/{customer_id}/total_events': {
      get: {
        operationId: 'getTotalEvents',
        tags: ['usage'],
        summary: 'Total events of one customer, over a range or the whole history',
        description:
          "The route of the earlier service. A missing bound means the customer's whole history on\nthat side; an unknown customer has 0 events.\n",
        parameters: [
          {
            $ref: '#/components/parameters/CustomerId',
          },
          {
            name: 'starting_at',
            in: 'query',
            required: false,
            description: 'First instant counted (inclusive).',
            schema: {
              $ref: '#/components/schemas/QueryTimestamp',
            },
          },
          {
            name: 'ending_before',
            in: 'query',
            required: false,
            description: 'First instant not counted (exclusive), later than `starting_at`.',
            schema: {
              $ref: '#/components/schemas/QueryTimestamp',
            },
          },
        ],
        responses: {
          '200': {
            description: 'The total.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/TotalEvents',
                },
                example: {
                  customer_id: 'b4f9279a0196e40632e947dd1a88e857',
                  starting_at: null,
                  ending_before: null,
                  total_events: 143716,
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/BadRequest',
          },
          '405': {
            $ref: '#/components/responses/MethodNotAllowed',
          },
          '500': {
            $ref: '#/components/responses/InternalError',
          },
          '503': {
            $ref: '#/components/responses/ServiceUnavailable',
          },
        },
      },
    },
    '/v1/customers': {
      get: {
        operationId: 'listCustomers',
        tags: ['customers'],
        summary: 'Every customer with its first and last event and total events',
        description:
          'Customers in id order, `limit` at a time. When `next_page` in the answer is not null, pass\nit back unchanged to get the following page. The loader keeps this list exactly once:\nloading the same file again changes nothing.\n',
        parameters: [
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: 'Customers per page.',
            schema: {
              type: 'integer',
              minimum: 1,
              maximum: 1000,
              default: 100,
            },
          },
          {
            name: 'next_page',
            in: 'query',
            required: false,
            description: 'The `next_page` of the previous page, passed back unchanged.',
            schema: {
              $ref: '#/components/schemas/PageToken',
            },
          },
        ],
        responses: {
          '200': {
            description: 'One page of customers.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/CustomerList',
                },
                example: {
                  customers: [
                    {
                      customer_id: '009b178fa33bd5d0459d8b2cb825f9f4',
                      first_event_at: '2021-03-01T00:28:55.674Z',
                      last_event_at: '2021-03-02T09:50:27.142Z',
                      total_events: 266,
                    },
                    {
                      customer_id: '1abb42414607955dbf6088b99f837d8f',
                      first_event_at: '2021-03-01T04:16:22.278Z',
                      last_event_at: '2021-03-03T23:59:38.365Z',
                      total_events: 427,
                    },
                  ],
                  next_page: 'after:1abb42414607955dbf6088b99f837d8f',
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/BadRequest',
          },
          '405': {
            $ref: '#/components/responses/MethodNotAllowed',
          },
          '500': {
            $ref: '#/components/responses/InternalError',
          },
          '503': {
            $ref: '#/components/responses/ServiceUnavailable',
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        tags: ['meta'],
        summary: 'This description, as JSON',
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['openapi', 'info', 'paths'],
                  properties: {
                    openapi: {
                      type: 'string',
                      pattern: '^3\\.1\\.',
                    },
                  },
                },
              },
            },
          },
          '405': {
            $ref: '#/components/responses/MethodNotAllowed',
          },
        },
      },
    },
    '/': {
      get: {
        operationId: 'getUsagePage',
        tags: ['meta'],
        summary: 'The usage page',
        description:
          'An HTML page that lists the customers, asks for a range and a window size, and draws the\nbuckets as a bar chart and a table, with partial edge buckets marked.\n',
        responses: {
          '200': {
            description: 'The page.',
            content: {
              'text/html': {
                schema: {
                  type: 'string',
                },
              },
            },
          },
          '405': {
            $ref: '#/components/responses/MethodNotAllowed',
          },
        },
      },
    },
  },
  components: {
    parameters: {
      CustomerId: {
        name: 'customer_id',
        in: 'path',
        required: true,
        description: '1 to 128 letters, digits or `._:@-`, starting with a letter or digit.',
        schema: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
        },
        example: 'b4f9279a0196e40632e947dd1a88e857',
      },
    },
    schemas: {
      QueryTimestamp: {
        description:
          'A timestamp as query parameters take it: a date `YYYY-MM-DD` (midnight UTC), optionally\nfollowed by `T` or a space, `HH:MM`, optional `:SS` with 0-9 fraction digits after a dot,\nand an optional offset `Z`, `±HH:MM`, `±HHMM` or `±HH` (none means UTC). The pattern admits\nreal calendar dates from 1970 to 9999 only; so that no value it admits lies outside\n1970-01-01 to 9999-12-31 UTC, it also leaves out `+` offsets on 1970-01-01 and `-` offsets on\n9999-12-31 (the API accepts those that stay in range).\n',
        type: 'string',
        minLength: 10,
        maxLength: 35,
        pattern:
          '^(?!1970-01-01[Tt ].*\\+)(?!9999-12-31[Tt ].*-)(?:(?:19[7-9]\\d|[2-9]\\d{3})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))|(?:19(?:7[26]|8[048]|9[26])|[2-9]\\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)-02-29)(?:[Tt ](?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:\\.\\d{1,9})?)?(?:[Zz]|[+-](?:[01]\\d|2[0-3])(?::?[0-5]\\d)?)?)?$',
        examples: ['2021-03-01T04:00:00Z', '2021-03-01 06:30+01:00', '2021-03-02'],
      },
      PageToken: {
        description:
          'Where the next page of customers starts; pass the `next_page` of an answer back unchanged.',
        type: 'string',
        minLength: 7,
        maxLength: 134,
        pattern: '^after:[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
        examples: ['after:1abb42414607955dbf6088b99f837d8f'],
      },
      Timestamp: {
        type: 'string',
        format: 'date-time',
        pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
        examples: ['2021-03-01T04:00:00.000Z'],
      },
      WindowSize: {
        type: 'string',
        enum: ['hour', 'day', 'none'],
        default: 'hour',
      },
      Bucket: {
        type: 'object',
        additionalProperties: false,
        required: ['starting_at', 'ending_before', 'count'],
        properties: {
          starting_at: {
            $ref: '#/components/schemas/Timestamp',
          },
          ending_before: {
            $ref: '#/components/schemas/Timestamp',
          },
          count: {
            type: 'integer',
            minimum: 0,
          },
        },
      },
      EventCounts: {
        type: 'object',
        additionalProperties: false,
        required: ['customer_id', 'starting_at', 'ending_before', 'window_size', 'total', 'buckets'],
        properties: {
          customer_id: {
            type: 'string',
          },
          starting_at: {
            $ref: '#/components/schemas/Timestamp',
          },
          ending_before: {
            $ref: '#/components/schemas/Timestamp',
          },
          window_size: {
            $ref: '#/components/schemas/WindowSize',
          },
          total: {
            type: 'integer',
            minimum: 0,
            description: 'Sum of the bucket counts.',
          },
          buckets: {
            type: 'array',
            minItems: 1,
            maxItems: 8784,
            items: {
              $ref: '#/components/schemas/Bucket',
            },
          },
        },
      },
      TotalEvents: {
        type: 'object',
        additionalProperties: false,
        required: ['customer_id', 'starting_at', 'ending_before', 'total_events'],
        properties: {
          customer_id: {
            type: 'string',
          },
          starting_at: {
            description: "The lower bound, or null for the customer's whole history before `ending_before`.",
            oneOf: [
              {
                $ref: '#/components/schemas/Timestamp',
              },
              {
                type: 'null',
              },
            ],
          },
          ending_before: {
            description: "The upper bound, or null for the customer's whole history after `starting_at`.",
            oneOf: [
              {
                $ref: '#/components/schemas/Timestamp',
              },
              {
                type: 'null',
              },
            ],
          },
          total_events: {
            type: 'integer',
            minimum: 0,
          },
        },
      },
      Customer: {
        type: 'object',
        additionalProperties: false,
        required: ['customer_id', 'first_event_at', 'last_event_at', 'total_events'],
        properties: {
          customer_id: {
            type: 'string',
          },
          first_event_at: {
            $ref: '#/components/schemas/Timestamp',
          },
          last_event_at: {
            $ref: '#/components/schemas/Timestamp',
          },
          total_events: {
            type: 'integer',
            minimum: 1,
          },
        },
      },
      CustomerList: {
        type: 'object',
        additionalProperties: false,
        required: ['customers', 'next_page'],
        properties: {
          customers: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/Customer',
            },
          },
          next_page: {
            description: 'Pass as `next_page` to get the following page; null on the last page.',
            oneOf: [
              {
                $ref: '#/components/schemas/PageToken',
              },
              {
                type: 'null',
              },
            ],
          },
        },
      },
      Error: {
        type: 'object',
        additionalProperties: false,
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            additionalProperties: false,
            required: ['code', 'message'],
            properties: {
              code: {
                type: 'string',
                enum: [
                  'invalid_parameter',
                  'not_found',
                  'customer_not_found',
                  'method_not_allowed',
                  'internal_error',
                  'service_unavailable',
                ],
              },
              message: {
                type: 'string',
              },
              parameter: {
                type: 'string',
                description: 'The query or path parameter at fault (`invalid_parameter` only).',
              },
              request_id: {
                type: 'string',
                description: 'Quote it when reporting a 500 or 503.',
              },
            },
          },
        },
      },
    },
    responses: {
      BadRequest: {
        description:
          'A parameter is invalid (`invalid_parameter`); the message names it, shows the value and what is expected.',
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  properties: {
                    error: {
                      required: ['parameter'],
                      properties: {
                        code: {
                          const: 'invalid_parameter',
                        },
                      },
                    },
                  },
                },
              ],
            },
            example: {
              error: {
                code: 'invalid_parameter',
                message:
                  'starting_at must be an ISO-8601 timestamp such as 2021-03-01T04:00:00Z or 2021-03-01; received "yesterday" (not an ISO-8601 timestamp)',
                parameter: 'starting_at',
              },
            },
          },
        },
      },
      CustomerNotFound: {
        description:
          'A bound is missing and must default to the events of a customer that has none (`customer_not_found`).',
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  properties: {
                    error: {
                      properties: {
                        code: {
                          const: 'customer_not_found',
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
      MethodNotAllowed: {
        description: 'Every route answers GET only.',
        headers: {
          Allow: {
            schema: {
              type: 'string',
              const: 'GET',
            },
          },
        },
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  properties: {
                    error: {
                      properties: {
                        code: {
                          const: 'method_not_allowed',
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
      InternalError: {
        description: 'Something unexpected failed; the details are in the log under `request_id`.',
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  properties: {
                    error: {
                      required: ['request_id'],
                      properties: {
                        code: {
                          const: 'internal_error',
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
      ServiceUnavailable: {
        description: 'DynamoDB is throttling or unavailable; retry after the `Retry-After` seconds.',
        headers: {
          'Retry-After': {
            schema: {
              type: 'string',
            },
          },
        },
        content: {
          'application/json': {
            schema: {
              allOf: [
                {
                  $ref: '#/components/schemas/Error',
                },
                {
                  properties: {
                    error: {
                      required: ['request_id'],
                      properties: {
                        code: {
                          const: 'service_unavailable',
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
    },
  },
};
