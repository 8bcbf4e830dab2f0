/**
 * What Apollo Sandbox (GET /graphql in a browser, SANDBOX_ENABLED) opens with: the README's
 * first tour as one document, ready to run one operation at a time, its variables, and the
 * headers explained at the top. router/test/sandbox.test.ts validates every operation
 * against schema/api.graphql, so the examples cannot go stale.
 */
export const SANDBOX_DOCUMENT = `# The shop's first tour (README.md, "A first tour"). Run one operation at a time: put the
# cursor in it and press the run button. The Variables tab holds the ids the later steps
# need: copy them from the answers as you go.
#
# Headers (the Headers tab):
#   Authorization: Bearer <accessToken>
#       from Register or Login; every operation after Login needs it. Access tokens live
#       15 minutes: Refresh trades the refresh token for a new pair.
#   x-cart-id: <cart id>
#       only without Authorization: the guest cart's id that AddToCart answers. Sent once
#       more together with Authorization, it merges the guest cart into the customer's.
# Subscriptions (Track) take the same Authorization header.
# Errors carry a stable extensions.code (docs/api.md): BAD_USER_INPUT, UNAUTHENTICATED, ...

mutation Register {
  register(input: { email: "ann@example.com", password: "a long password", name: "Ann" }) {
    accessToken
    refreshToken
    expiresIn
    user {
      id
      email
      roles
    }
  }
}

mutation Login {
  login(email: "ann@example.com", password: "a long password") {
    accessToken
    refreshToken
  }
}

query Me {
  me {
    id
    email
    name
    roles
    addresses {
      id
      city
      country
    }
  }
}

mutation AddAddress {
  addAddress(
    input: { line1: "Main Street 1", city: "Berlin", postalCode: "10115", country: "DE" }
  ) {
    id
  }
}

mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken
    refreshToken
  }
}

query Browse {
  categories {
    id
    name
    parent {
      name
    }
  }
  products(filter: { search: "phone", inStock: true }, first: 5) {
    totalCount
    edges {
      cursor
      node {
        id
        name
        price {
          amount
          currency
        }
        stock
        category {
          name
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}

mutation AddToCart($productId: ID!) {
  addToCart(productId: $productId, quantity: 2) {
    id
    itemCount
    subtotal {
      amount
      currency
    }
    items {
      quantity
      unitPrice {
        amount
      }
      lineTotal {
        amount
      }
      product {
        name
      }
    }
  }
}

mutation Checkout($addressId: ID!, $idempotencyKey: String!) {
  checkout(
    input: { paymentMethod: STRIPE, shippingAddressId: $addressId, idempotencyKey: $idempotencyKey }
  ) {
    order {
      id
      status
      total {
        amount
        currency
      }
      lines {
        quantity
        product {
          name
        }
      }
    }
    payment {
      provider
      clientSecret
      providerReference
    }
  }
}

mutation Capture($orderId: ID!) {
  capturePaypalOrder(orderId: $orderId) {
    id
    status
  }
}

subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    event {
      status
      location
      at
    }
    shipment {
      id
      trackingNumber
      order {
        status
        customer {
          name
        }
      }
    }
  }
}

mutation Step($shipmentId: ID!) {
  recordTrackingEvent(
    shipmentId: $shipmentId
    input: { status: PICKED_UP, location: "Berlin depot" }
  ) {
    status
  }
}
`;

/** The Variables tab: one value for every variable the document declares. */
export const SANDBOX_VARIABLES: Record<string, string> = {
  refreshToken: '<refreshToken from Register or Login>',
  productId: '<a product id from Browse>',
  addressId: '<an address id from AddAddress or Me>',
  idempotencyKey: 'order-1',
  orderId: '<order id from Checkout>',
  shipmentId: '<shipment id from Track>',
};

/**
 * Options of Apollo Server's local landing page: the embedded Sandbox with the tour. No
 * header is filled in: a placeholder token would make every operation UNAUTHENTICATED.
 */
export const sandboxLandingPage = {
  embed: true,
  document: SANDBOX_DOCUMENT,
  variables: SANDBOX_VARIABLES,
} as const;
