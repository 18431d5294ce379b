/* /api/docs: Swagger UI over the OpenAPI document (an external file: CSP script-src 'self'). */
window.ui = SwaggerUIBundle({ url: document.getElementById('swagger-ui').dataset.url, dom_id: '#swagger-ui' });
