package api

import (
	"net/http"
	"strings"
)

// route is one endpoint. The table of routes registers the handlers and
// writes the OpenAPI document, so the two cannot disagree.
type route struct {
	Method string
	// Path is below BasePath, with {name} for path parameters.
	Path    string
	ID      string // the OpenAPI operationId
	Tag     string
	Summary string
	// Query lists the query parameters.
	Query []param
	// Body is the request body's type (a zero value), nil when none;
	// BodyOptional when it may be left out.
	Body         any
	BodyOptional bool
	Responses    []response
	// Public routes need no token.
	Public bool
	handle handlerFunc
}

// param is a query parameter.
type param struct {
	Name, Type, Description string
	Enum                    []string
}

// response is a success answer of a route.
type response struct {
	Status      int
	Body        any
	Description string
}

// pattern is the ServeMux pattern of the route.
func (rt route) pattern() string { return rt.Method + " " + BasePath + rt.Path }

// pathParams lists the {names} in the route's path.
func (rt route) pathParams() []string {
	var names []string
	for _, seg := range strings.Split(rt.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return names
}

// Query parameters several routes share.
var (
	limitParam  = param{Name: "limit", Type: "integer", Description: "Page size, 1 to 100 (default 20)."}
	offsetParam = param{Name: "offset", Type: "integer", Description: "How many items to skip."}
	statusParam = param{Name: "status", Type: "string", Description: "Only requests in this status.",
		Enum: []string{"PENDING", "APPROVED", "REJECTED", "CANCELED"}}
)

func ok(body any, desc string) []response {
	return []response{{Status: http.StatusOK, Body: body, Description: desc}}
}

// routeTable lists every endpoint of the API (api.md), in its order.
func (h *Handler) routeTable() []route {
	return []route{
		// Groups.
		{Method: "POST", Path: "/groups", ID: "createGroup", Tag: "Groups",
			Summary: "Create a group, or a create request when the site's policy wants approval",
			Body:    createGroupBody{},
			Responses: []response{
				{Status: http.StatusCreated, Body: groupResponse{}, Description: "The group was created."},
				{Status: http.StatusAccepted, Body: createRequestResponse{}, Description: "A create request now waits for a site admin."},
			},
			handle: h.createGroup},
		{Method: "GET", Path: "/groups/{id}", ID: "getGroup", Tag: "Groups", Summary: "Get a group by id",
			Responses: ok(groupResponse{}, "The group."), handle: h.getGroup},
		{Method: "GET", Path: "/groups/by-slug/{slug}", ID: "getGroupBySlug", Tag: "Groups",
			Summary:   "Get a group by its slug (a former slug finds it too)",
			Responses: ok(groupResponse{}, "The group, with its current slug."), handle: h.getGroupBySlug},
		{Method: "GET", Path: "/groups", ID: "listGroups", Tag: "Groups", Summary: "List the groups the caller may see, newest first",
			Query: []param{limitParam, offsetParam}, Responses: ok(groupsResponse{}, "A page of groups."), handle: h.listGroups},
		{Method: "POST", Path: "/groups/query", ID: "queryGroups", Tag: "Groups",
			Summary: "Filter, sort and page groups. Cursor paging: pass metadata.cursors.next or .prev back as " +
				"cursorPaging.cursor with the same filter and sort",
			Body: groupQueryBody{}, Responses: ok(groupsResponse{}, "A page of groups."), handle: h.queryGroups},
		{Method: "PATCH", Path: "/groups/{id}", ID: "updateGroup", Tag: "Groups", Summary: "Change the fields given",
			Body: updateGroupBody{}, Responses: ok(groupResponse{}, "The group as changed."), handle: h.updateGroup},
		{Method: "DELETE", Path: "/groups/{id}", ID: "deleteGroup", Tag: "Groups", Summary: "Delete a group",
			Responses: ok(groupResponse{}, "The group as it was."), handle: h.deleteGroup},

		// Joining.
		{Method: "POST", Path: "/groups/{id}/join", ID: "joinGroup", Tag: "Joining",
			Summary: "Join a public group, or ask to join a private one",
			Body:    joinBody{}, BodyOptional: true,
			Responses: []response{
				{Status: http.StatusCreated, Body: memberResponse{}, Description: "The caller is a member now."},
				{Status: http.StatusAccepted, Body: joinRequestResponse{}, Description: "A join request now waits for a decision."},
			},
			handle: h.join},
		{Method: "POST", Path: "/groups/{id}/leave", ID: "leaveGroup", Tag: "Joining", Summary: "Leave a group",
			Responses: ok(emptyResponse{}, "The caller left."), handle: h.leave},
		{Method: "GET", Path: "/groups/{id}/join-requests", ID: "listJoinRequests", Tag: "Joining",
			Summary: "List the join requests of a group, newest first (a requester sees only their own)",
			Query:   []param{statusParam, limitParam, offsetParam}, Responses: ok(joinRequestsResponse{}, "A page of join requests."),
			handle: h.listJoinRequests},
		{Method: "POST", Path: "/groups/{id}/join-requests/query", ID: "queryJoinRequests", Tag: "Joining",
			Summary: "Query join requests by status", Body: joinRequestQueryBody{},
			Responses: ok(joinRequestsResponse{}, "A page of join requests."), handle: h.queryJoinRequests},
		{Method: "POST", Path: "/groups/{id}/join-requests/approve", ID: "approveJoinRequests", Tag: "Joining",
			Summary: "Approve the pending requests of up to 100 members", Body: memberIDsBody{},
			Responses: ok(joinRequestsDecidedResponse{}, "The requests approved, and why the others were not."),
			handle:    h.approveJoinRequests},
		{Method: "POST", Path: "/groups/{id}/join-requests/reject", ID: "rejectJoinRequests", Tag: "Joining",
			Summary: "Reject the pending requests of up to 100 members", Body: rejectJoinRequestsBody{},
			Responses: ok(joinRequestsDecidedResponse{}, "The requests rejected, and why the others were not."),
			handle:    h.rejectJoinRequests},
		{Method: "POST", Path: "/groups/{id}/join-requests/cancel", ID: "cancelJoinRequest", Tag: "Joining",
			Summary: "Cancel the caller's own pending request", Responses: ok(joinRequestResponse{}, "The canceled request."),
			handle: h.cancelJoinRequest},

		// Members and roles.
		{Method: "GET", Path: "/groups/{id}/members", ID: "listMembers", Tag: "Members", Summary: "List the members",
			Query: []param{limitParam, offsetParam}, Responses: ok(membersResponse{}, "A page of members."), handle: h.listMembers},
		{Method: "POST", Path: "/groups/{id}/members", ID: "addMembers", Tag: "Members", Summary: "Add up to 100 site members",
			Body: memberIDsBody{}, Responses: ok(membersChangedResponse{}, "The members added, and why the others were not."),
			handle: h.addMembers},
		{Method: "DELETE", Path: "/groups/{id}/members/{memberId}", ID: "removeMember", Tag: "Members",
			Summary: "Remove a member", Responses: ok(emptyResponse{}, "The member is out."), handle: h.removeMember},
		{Method: "POST", Path: "/groups/{id}/roles", ID: "setRoles", Tag: "Members", Summary: "Make up to 100 members ADMIN or MEMBER",
			Body: setRolesBody{}, Responses: ok(membersChangedResponse{}, "The members changed, and why the others were not."),
			handle: h.setRoles},

		// Create requests.
		{Method: "GET", Path: "/create-requests", ID: "listCreateRequests", Tag: "Create requests",
			Summary: "List create requests, newest first (site admins see all, others their own)",
			Query:   []param{statusParam, limitParam, offsetParam}, Responses: ok(createRequestsResponse{}, "A page of create requests."),
			handle: h.listCreateRequests},
		{Method: "POST", Path: "/create-requests/query", ID: "queryCreateRequests", Tag: "Create requests",
			Summary: "Query create requests by status", Body: createRequestQueryBody{},
			Responses: ok(createRequestsResponse{}, "A page of create requests."), handle: h.queryCreateRequests},
		{Method: "POST", Path: "/create-requests/approve", ID: "approveCreateRequests", Tag: "Create requests",
			Summary: "Approve up to 100 create requests (site admins)", Body: approveCreateRequestsBody{},
			Responses: ok(createRequestsDecidedResponse{}, "The requests approved, and why the others were not."),
			handle:    h.approveCreateRequests},
		{Method: "POST", Path: "/create-requests/reject", ID: "rejectCreateRequests", Tag: "Create requests",
			Summary: "Reject up to 100 create requests (site admins)", Body: rejectCreateRequestsBody{},
			Responses: ok(createRequestsDecidedResponse{}, "The requests rejected, and why the others were not."),
			handle:    h.rejectCreateRequests},
		{Method: "POST", Path: "/create-requests/{id}/cancel", ID: "cancelCreateRequest", Tag: "Create requests",
			Summary: "Cancel the caller's own pending create request", Responses: ok(createRequestResponse{}, "The canceled request."),
			handle: h.cancelCreateRequest},

		// Site settings.
		{Method: "GET", Path: "/settings", ID: "getSettings", Tag: "Settings", Summary: "Read the site settings (site admins)",
			Responses: ok(settingsResponse{}, "The site settings."), handle: h.getSettings},
		{Method: "PATCH", Path: "/settings", ID: "updateSettings", Tag: "Settings", Summary: "Change who may create groups (site admins)",
			Body: updateSettingsBody{}, Responses: ok(settingsResponse{}, "The site settings as changed."), handle: h.updateSettings},

		// Notifications.
		{Method: "GET", Path: "/notifications", ID: "listNotifications", Tag: "Notifications",
			Summary: "List the caller's notifications, most recent first",
			Query:   []param{unreadParam, limitParam, offsetParam}, Responses: ok(notificationsResponse{}, "A page of notifications."),
			handle: h.listNotifications},
		{Method: "POST", Path: "/notifications/read", ID: "markNotificationsRead", Tag: "Notifications",
			Summary: "Mark the caller's notifications read: those in ids, or all when ids is absent",
			Body:    markReadBody{}, BodyOptional: true,
			Responses: ok(markReadResponse{}, "How many were marked, and how many stay unread."),
			handle:    h.markNotificationsRead},

		// Webhooks.
		{Method: "GET", Path: "/webhooks", ID: "listWebhooks", Tag: "Webhooks",
			Summary: "List the webhook endpoints the caller manages (site admins: all; group admins: their groups')",
			Query:   []param{groupIDParam}, Responses: ok(webhooksResponse{}, "The endpoints, oldest first."), handle: h.listWebhooks},
		{Method: "POST", Path: "/webhooks", ID: "createWebhook", Tag: "Webhooks",
			Summary: "Register an endpoint: site-wide (site admins, elevated tokens) or a group's (its admins)",
			Body:    createWebhookBody{},
			Responses: []response{{Status: http.StatusCreated, Body: webhookCreatedResponse{},
				Description: "The endpoint, and its signing secret (shown only here)."}},
			handle: h.createWebhook},
		{Method: "PATCH", Path: "/webhooks/{id}", ID: "updateWebhook", Tag: "Webhooks",
			Summary: "Change an endpoint's URL, event types or enabled state (enabling forgets past failures)",
			Body:    updateWebhookBody{}, Responses: ok(webhookResponse{}, "The endpoint as changed."), handle: h.updateWebhook},
		{Method: "DELETE", Path: "/webhooks/{id}", ID: "deleteWebhook", Tag: "Webhooks", Summary: "Delete an endpoint and its delivery log",
			Responses: ok(webhookResponse{}, "The endpoint as it was."), handle: h.deleteWebhook},
		{Method: "GET", Path: "/webhooks/{id}/deliveries", ID: "listDeliveries", Tag: "Webhooks",
			Summary: "Read an endpoint's delivery log, newest attempt first",
			Query:   []param{limitParam, offsetParam}, Responses: ok(deliveriesResponse{}, "A page of delivery attempts."),
			handle: h.listDeliveries},
		{Method: "POST", Path: "/webhooks/{id}/deliveries/{deliveryId}/redeliver", ID: "redeliver", Tag: "Webhooks",
			Summary:   "Deliver the event of a logged delivery again (same webhook-id)",
			Responses: []response{{Status: http.StatusAccepted, Body: emptyResponse{}, Description: "The delivery is queued."}},
			handle:    h.redeliver},
		{Method: "POST", Path: "/webhooks/{id}/test", ID: "sendTestEvent", Tag: "Webhooks",
			Summary:   "Send the endpoint a webhook.test event",
			Responses: []response{{Status: http.StatusAccepted, Body: emptyResponse{}, Description: "The test event is queued."}},
			handle:    h.sendTestEvent},

		// This document.
		{Method: "GET", Path: "/openapi.json", ID: "getOpenAPI", Tag: "Meta", Summary: "This API described in OpenAPI 3.1",
			Public: true, Responses: []response{{Status: http.StatusOK, Description: "The OpenAPI document."}},
			handle: h.getOpenAPI},
	}
}
