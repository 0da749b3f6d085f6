/*
 * Stripe.js (v3) stand-in, served by tools/stripe_standin at /v3/.
 *
 * Implements the part of Stripe.js the shop uses: Stripe(key), stripe.elements({clientSecret}),
 * elements.create('payment'), element.mount/on/off/unmount/destroy, elements.submit(),
 * stripe.confirmPayment(...) and stripe.retrievePaymentIntent(clientSecret).
 *
 * The card form lives in an iframe on the stand-in's origin. This script, running in the shop's page,
 * never sees a card number: it only exchanges postMessage calls with the iframe (checking
 * event.origin and event.source), and the iframe itself confirms the PaymentIntent.
 */
(function () {
  "use strict";

  if (window.Stripe && window.Stripe.isStandin) {
    return;
  }

  var STANDIN_ORIGIN = (function () {
    var script = document.currentScript;
    if (!script) {
      var scripts = document.getElementsByTagName("script");
      for (var i = scripts.length - 1; i >= 0; i--) {
        if (/\/v3\/?(\?.*)?$/.test(scripts[i].src)) {
          script = scripts[i];
          break;
        }
      }
    }
    if (!script || !script.src) {
      throw new Error("Stripe stand-in: cannot tell which origin /v3/ was loaded from");
    }
    return new URL(script.src, window.location.href).origin;
  })();

  var frameCount = 0;

  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function intentIdOf(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || "");
    return match ? match[1] : null;
  }

  function formatError(error) {
    // The fields Stripe.js puts on errors it resolves with.
    var result = {};
    Object.keys(error || {}).forEach(function (key) {
      result[key] = error[key];
    });
    result.type = result.type || "api_error";
    result.message = result.message || "Something went wrong.";
    return result;
  }

  /* The Payment Element: an iframe on the stand-in's origin holding the card form. */
  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options || {};
    this._handlers = {};
    this._frame = null;
    this._wrapper = null;
    this._frameId = null;
    this._ready = false;
    this._waiting = []; // requests made before the frame was ready
    this._pending = {}; // requestId -> resolve
    this._requestCount = 0;
    this._destroyed = false;
    this._onMessage = this._onMessage.bind(this);
  }

  PaymentElement.prototype.mount = function (target) {
    if (this._destroyed) {
      throw integrationError("This Element has already been destroyed. Please create a new one.");
    }
    if (this._frame) {
      throw integrationError("This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.");
    }
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container || typeof container.appendChild !== "function") {
      throw integrationError("The selector you specified (" + target + ") applies to no DOM elements that are currently on the page.");
    }
    frameCount += 1;
    this._frameId = "standin-payment-" + frameCount + "-" + Math.random().toString(36).slice(2);
    var query = new URLSearchParams({ origin: window.location.origin, id: this._frameId });
    var frame = document.createElement("iframe");
    frame.src = STANDIN_ORIGIN + "/elements/payment-frame?" + query.toString();
    frame.name = this._frameId;
    frame.title = "Secure payment input frame";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("allowtransparency", "true");
    frame.setAttribute("scrolling", "no");
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.minWidth = "100%";
    frame.style.height = "180px";
    frame.style.display = "block";
    frame.style.overflow = "hidden";
    frame.style.colorScheme = "normal";
    var wrapper = document.createElement("div");
    wrapper.className = "StripeElement StripeElement--empty";
    wrapper.appendChild(frame);
    window.addEventListener("message", this._onMessage);
    container.appendChild(wrapper);
    this._frame = frame;
    this._wrapper = wrapper;
    this._ready = false;
    return this;
  };

  PaymentElement.prototype.unmount = function () {
    window.removeEventListener("message", this._onMessage);
    if (this._wrapper && this._wrapper.parentNode) {
      this._wrapper.parentNode.removeChild(this._wrapper);
    }
    this._frame = null;
    this._wrapper = null;
    this._ready = false;
    var pending = this._pending;
    this._pending = {};
    Object.keys(pending).forEach(function (id) {
      pending[id]({ error: { type: "validation_error", code: "element_unmounted", message: "The payment form was removed before it finished." } });
    });
    this._waiting = [];
    return this;
  };

  PaymentElement.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._handlers = {};
    this._elements._forget(this);
  };

  PaymentElement.prototype.on = function (eventName, handler) {
    (this._handlers[eventName] = this._handlers[eventName] || []).push(handler);
    return this;
  };

  PaymentElement.prototype.once = function (eventName, handler) {
    var self = this;
    function once(event) {
      self.off(eventName, once);
      handler(event);
    }
    return this.on(eventName, once);
  };

  PaymentElement.prototype.off = function (eventName, handler) {
    var handlers = this._handlers[eventName] || [];
    this._handlers[eventName] = handler ? handlers.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  PaymentElement.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    this._send({ type: "update", appearance: this._elements._appearance });
    return this;
  };

  PaymentElement.prototype.focus = function () {
    this._send({ type: "focus" });
    return this;
  };

  PaymentElement.prototype.blur = function () {
    this._send({ type: "blur" });
    return this;
  };

  PaymentElement.prototype.clear = function () {
    this._send({ type: "clear" });
    return this;
  };

  PaymentElement.prototype.collapse = function () {
    return this;
  };

  PaymentElement.prototype._emit = function (eventName, payload) {
    var event = Object.assign({ elementType: "payment" }, payload || {});
    (this._handlers[eventName] || []).slice().forEach(function (handler) {
      try {
        handler(event);
      } catch (err) {
        setTimeout(function () { throw err; });
      }
    });
  };

  PaymentElement.prototype._send = function (message) {
    if (!this._frame || !this._frame.contentWindow) {
      return false;
    }
    message.standin = 1;
    message.frameId = this._frameId;
    this._frame.contentWindow.postMessage(message, STANDIN_ORIGIN);
    return true;
  };

  // Ask the frame to do something and resolve with its answer ({error} or a result).
  PaymentElement.prototype._request = function (type, payload) {
    var self = this;
    if (!this._frame) {
      return Promise.resolve({ error: { type: "validation_error", code: "element_not_mounted", message: "Mount the Payment Element before using it." } });
    }
    return new Promise(function (resolve) {
      self._requestCount += 1;
      var requestId = "r" + self._requestCount;
      self._pending[requestId] = resolve;
      var message = Object.assign({ type: type, requestId: requestId }, payload || {});
      if (self._ready) {
        self._send(message);
      } else {
        self._waiting.push(message);
      }
    });
  };

  PaymentElement.prototype._onMessage = function (event) {
    if (!this._frame || event.origin !== STANDIN_ORIGIN || event.source !== this._frame.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || data.standin !== 1 || data.frameId !== this._frameId) {
      return;
    }
    switch (data.type) {
      case "frame-loaded":
        this._send({
          type: "init",
          publishableKey: this._elements._stripe._publishableKey,
          clientSecret: this._elements._clientSecret,
          appearance: this._elements._appearance,
          locale: this._elements._stripe._options.locale || "auto"
        });
        break;
      case "ready":
        this._ready = true;
        var waiting = this._waiting;
        this._waiting = [];
        waiting.forEach(this._send.bind(this));
        this._emit("ready");
        break;
      case "loaderror":
        this._emit("loaderror", { error: data.error });
        break;
      case "change":
        if (this._wrapper) {
          this._wrapper.classList.toggle("StripeElement--empty", !!data.empty);
          this._wrapper.classList.toggle("StripeElement--complete", !!data.complete);
        }
        this._emit("change", { empty: !!data.empty, complete: !!data.complete, collapsed: false, value: { type: "card" } });
        break;
      case "focus":
      case "blur":
        if (this._wrapper) {
          this._wrapper.classList.toggle("StripeElement--focus", data.type === "focus");
        }
        this._emit(data.type);
        break;
      case "resize":
        if (typeof data.height === "number" && data.height > 0) {
          this._frame.style.height = Math.ceil(data.height) + "px";
        }
        break;
      case "result":
        var resolve = this._pending[data.requestId];
        if (resolve) {
          delete this._pending[data.requestId];
          resolve(data.result || {});
        }
        break;
      default:
        break;
    }
  };

  /* Elements: one group of elements sharing a client secret and appearance. */
  function Elements(stripe, options) {
    this._stripe = stripe;
    this._clientSecret = options.clientSecret || null;
    this._appearance = options.appearance || {};
    this._options = options;
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") {
      throw integrationError("The Stripe stand-in only supports elements.create('payment'), not '" + type + "'.");
    }
    if (this._elements.payment) {
      throw integrationError("Can only create one Element of type payment.");
    }
    var element = new PaymentElement(this, options);
    this._elements.payment = element;
    return element;
  };

  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  Elements.prototype.update = function (options) {
    options = options || {};
    if (options.appearance) {
      this._appearance = options.appearance;
    }
    if (options.clientSecret) {
      this._clientSecret = options.clientSecret;
    }
    var element = this._elements.payment;
    if (element) {
      element.update({});
    }
    return this;
  };

  Elements.prototype.fetchUpdates = function () {
    return Promise.resolve({});
  };

  // Validate the form; resolves {} (with selectedPaymentMethod) or {error}.
  Elements.prototype.submit = function () {
    var element = this._elements.payment;
    if (!element) {
      return Promise.reject(integrationError("elements.submit(): no Payment Element was created."));
    }
    return element._request("submit");
  };

  Elements.prototype._forget = function (element) {
    if (this._elements.payment === element) {
      delete this._elements.payment;
    }
  };

  function returnUrlWith(returnUrl, paymentIntent, clientSecret) {
    var url = new URL(returnUrl, window.location.href);
    url.searchParams.set("payment_intent", paymentIntent.id);
    url.searchParams.set("payment_intent_client_secret", clientSecret);
    url.searchParams.set("redirect_status", paymentIntent.status === "succeeded" ? "succeeded" : paymentIntent.status);
    return url.toString();
  }

  function Stripe(publishableKey, options) {
    if (typeof publishableKey !== "string" || !publishableKey) {
      throw integrationError("Please call Stripe() with your publishable key. You used an empty string.");
    }
    if (/^(sk|rk)_/.test(publishableKey)) {
      throw integrationError("You should not use your secret key with Stripe.js. Please pass a publishable key instead.");
    }
    var stripe = {
      _publishableKey: publishableKey,
      _options: options || {}
    };

    stripe.elements = function (elementsOptions) {
      return new Elements(stripe, elementsOptions || {});
    };

    stripe.confirmPayment = function (params) {
      params = params || {};
      var elements = params.elements;
      if (!elements || !(elements instanceof Elements)) {
        return Promise.reject(integrationError("stripe.confirmPayment(): the `elements` argument must be the Elements group that holds the Payment Element."));
      }
      var element = elements.getElement("payment");
      if (!element || !element._frame) {
        return Promise.reject(integrationError("stripe.confirmPayment(): mount the Payment Element before confirming."));
      }
      var confirmParams = params.confirmParams || {};
      var redirect = params.redirect || "always";
      if (redirect !== "always" && redirect !== "if_required") {
        return Promise.reject(integrationError("stripe.confirmPayment(): `redirect` must be 'always' or 'if_required'."));
      }
      if (redirect === "always" && !confirmParams.return_url) {
        return Promise.reject(integrationError("stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`"));
      }
      var clientSecret = params.clientSecret || elements._clientSecret;
      if (!intentIdOf(clientSecret)) {
        return Promise.reject(integrationError("stripe.confirmPayment(): a PaymentIntent client secret is required (pass it to stripe.elements() or as `clientSecret`)."));
      }
      return element._request("confirm", {
        clientSecret: clientSecret,
        returnUrl: confirmParams.return_url || null,
        receiptEmail: confirmParams.receipt_email || null
      }).then(function (result) {
        if (result.error) {
          return { error: formatError(result.error) };
        }
        if (redirect === "always") {
          window.location.assign(returnUrlWith(confirmParams.return_url, result.paymentIntent, clientSecret));
          return new Promise(function () {}); // the page is leaving, as with Stripe.js
        }
        return { paymentIntent: result.paymentIntent };
      });
    };

    stripe.retrievePaymentIntent = function (clientSecret) {
      var intentId = intentIdOf(clientSecret);
      if (!intentId) {
        return Promise.reject(integrationError("Invalid value for retrievePaymentIntent: clientSecret should be a client secret of the form ${id}_secret_${secret}."));
      }
      var query = new URLSearchParams({ key: publishableKey, client_secret: clientSecret });
      return fetch(STANDIN_ORIGIN + "/v1/payment_intents/" + encodeURIComponent(intentId) + "?" + query.toString(), {
        method: "GET",
        credentials: "omit",
        cache: "no-store"
      }).then(function (response) {
        return response.json().then(function (body) {
          return response.ok ? { paymentIntent: body } : { error: formatError(body.error) };
        });
      }, function (err) {
        return { error: { type: "api_connection_error", message: "Could not reach the payment service: " + err.message } };
      });
    };

    // Called by @stripe/stripe-js; nothing to record here.
    stripe._registerWrapper = function () {};
    stripe.registerAppInfo = function () {};
    return stripe;
  }

  Stripe.version = 3;
  Stripe.isStandin = true;
  window.Stripe = Stripe;
})();
